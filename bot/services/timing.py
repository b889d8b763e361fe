"""When the bot may write to someone: send windows, weekends, nudge and check-in times.

All arithmetic is on aware datetimes: local times are built with zoneinfo in the person's own
zone and compared in UTC, so DST nights move nothing by an hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SATURDAY = 5
# A nudge later than this before the meeting is no use.
NUDGE_MARGIN = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Timing:
    """The configured rhythm of messages around a jour fixe."""

    nudge_time: dt.time = dt.time(9, 0)
    nudge_lead: dt.timedelta | None = None
    window: tuple[dt.time, dt.time] = (dt.time(8, 0), dt.time(19, 0))
    checkin_after: dt.timedelta = dt.timedelta(hours=2)
    # A nudge still makes sense a few hours late, but never after the meeting began.
    nudge_grace: dt.timedelta = dt.timedelta(hours=6)
    checkin_grace: dt.timedelta = dt.timedelta(days=2)
    poll_grace: dt.timedelta = dt.timedelta(days=7)
    notice_grace: dt.timedelta = dt.timedelta(days=1)
    ghost_grace: dt.timedelta = dt.timedelta(days=3)
    # A jour fixe nobody answered is closed as missed this long after it.
    close_after: dt.timedelta = dt.timedelta(days=3)
    # Far enough ahead that a nudge pushed back from an early Monday meeting to Friday evening
    # (about 61 h) is planned before it is due; a configured lead adds to it.
    plan_ahead: dt.timedelta = dt.timedelta(days=4)
    look_back: dt.timedelta = dt.timedelta(days=2)
    # At most this many new jour fixes per planner pass (each with four messages).
    plan_batch: int = 5000
    weekly_budget: int = 3


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone, or UTC when it is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`time` on `day` where the person is, as UTC.

    A wall time that does not exist (the spring-forward gap) is read with the offset from
    before the change, so it lands one hour later on the clock; a repeated one (autumn)
    takes its first occurrence (fold=0).
    """
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def _workday_back(day: dt.date) -> dt.date:
    while day.weekday() >= SATURDAY:
        day -= dt.timedelta(days=1)
    return day


def _workday_forward(day: dt.date) -> dt.date:
    while day.weekday() >= SATURDAY:
        day += dt.timedelta(days=1)
    return day


def fit_forward(moment: dt.datetime, tz: ZoneInfo, timing: Timing) -> dt.datetime:
    """The first instant at or after `moment` inside the person's send window on a workday."""
    start, end = timing.window
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() > end:
        day += dt.timedelta(days=1)
    elif local.time() >= start and day.weekday() < SATURDAY:
        return moment
    day = _workday_forward(day)
    candidate = at_local(day, start, tz)
    return max(candidate, moment)


def fit_back(moment: dt.datetime, tz: ZoneInfo, timing: Timing) -> dt.datetime:
    """The last instant at or before `moment` inside the person's send window on a workday."""
    start, end = timing.window
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() < start:
        day -= dt.timedelta(days=1)
    elif local.time() <= end and day.weekday() < SATURDAY:
        return moment
    day = _workday_back(day)
    return min(at_local(day, end, tz), moment)


def nudge_due(meeting: dt.datetime, tz: ZoneInfo, timing: Timing) -> dt.datetime:
    """When to nudge someone in zone `tz` about a jour fixe at `meeting` (always before it).

    Default: the meeting's local day at the nudge time; with a lead, that long before. Then
    into the send window (clamped to its start or end on that day) and off weekends. If that
    is not at least a quarter of an hour before the meeting, the window's start on the
    meeting day, else the end of the window on the workday before.
    """
    start, end = timing.window
    if timing.nudge_lead is not None:
        wanted = (meeting - timing.nudge_lead).astimezone(tz)
    else:
        wanted = at_local(meeting.astimezone(tz).date(), timing.nudge_time, tz).astimezone(tz)
    day = wanted.date()
    candidate = at_local(day, min(max(wanted.time(), start), end), tz)
    if day.weekday() >= SATURDAY:
        candidate = at_local(_workday_back(day), end, tz)
    latest = meeting - NUDGE_MARGIN
    if candidate <= latest:
        return candidate
    meeting_day = meeting.astimezone(tz).date()
    morning = at_local(meeting_day, start, tz)
    if meeting_day.weekday() < SATURDAY and morning <= latest:
        return morning
    return at_local(_workday_back(meeting_day - dt.timedelta(days=1)), end, tz)


def checkin_due(meeting: dt.datetime, tz: ZoneInfo, timing: Timing) -> dt.datetime:
    """When to ask "Did you meet?": some hours after the meeting, inside the send window."""
    return fit_forward(meeting + timing.checkin_after, tz, timing)
