"""The real planner over the database on DST nights: nudges at 09:00 local, meetings on time.

Each pass runs the day before an occurrence, with the clock frozen at that instant, so that
whatever reads the clock (row timestamps) agrees with the `now` handed to the planner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.sandbox import FakeSlack
from bot.scheduling import plan_pass, timing_from
from bot.services.timing import NUDGE_MARGIN, Timing
from bot.store.db import Database
from bot.store.models import JourFixe, Outbox, OutboxKind, Participant
from tests.conftest import make_settings
from tests.helpers import make_pair

MEETING = dt.time(15, 0)
NINE = dt.time(9, 0)
WEEKS = 3


@pytest.fixture
def timing(fake_slack: FakeSlack, database_url: str) -> Timing:
    """The timing rules exactly as the default settings configure them."""
    return timing_from(make_settings(fake_slack, database_url))


def hours(h: float) -> dt.timedelta:
    return dt.timedelta(hours=h)


def wall_clock(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """What a clock on the wall in `tz` shows at `moment` (naive)."""
    return moment.astimezone(tz).replace(tzinfo=None)


def plan_weeks(db: Database, timing: Timing, tz: ZoneInfo, days: list[dt.date]) -> None:
    """One planner pass at noon local the day before each occurrence, clock frozen there."""
    instants = [
        dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=tz).astimezone(dt.UTC)
        for day in days
    ]
    # One freeze, moved from pass to pass: starting freezegun anew each time is slow.
    with freeze_time(instants[0]) as clock:
        for day, now in zip(days, instants, strict=True):
            clock.move_to(now)
            assert dt.datetime.now(dt.UTC) == now
            stats = plan_pass(db, timing, now)
            # Exactly this occurrence is new: one jour fixe, a nudge and a check-in per member.
            assert (stats.jour_fixes, stats.messages) == (1, 4), day


def planned(
    db: Database, pair_id: int
) -> list[tuple[JourFixe, dict[tuple[OutboxKind, str], Outbox]]]:
    """Each jour fixe of the pair, with its outbox rows by (kind, member's Slack id)."""
    with db.sessions() as s:
        people = {p.id: p.slack_user_id for p in s.scalars(select(Participant))}
        result = []
        for jf in s.scalars(
            select(JourFixe).where(JourFixe.pair_id == pair_id).order_by(JourFixe.occurrence)
        ):
            rows = s.scalars(
                select(Outbox).where(
                    Outbox.subject_id == jf.id,
                    Outbox.kind.in_((OutboxKind.NUDGE, OutboxKind.CHECKIN)),
                )
            )
            result.append((jf, {(r.kind, people[r.participant_id]): r for r in rows}))
        return result


# (zone, DST night (a Sunday), UTC offset before it, UTC offset after it)
TRANSITIONS = [
    ("Europe/Berlin", dt.date(2026, 10, 25), hours(2), hours(1)),
    ("Europe/Berlin", dt.date(2027, 3, 28), hours(1), hours(2)),
    ("Europe/Berlin", dt.date(2027, 10, 31), hours(2), hours(1)),
    ("America/New_York", dt.date(2026, 11, 1), hours(-4), hours(-5)),
    ("America/New_York", dt.date(2027, 3, 14), hours(-5), hours(-4)),
    ("America/New_York", dt.date(2027, 11, 7), hours(-4), hours(-5)),
    ("Australia/Adelaide", dt.date(2026, 10, 4), hours(9.5), hours(10.5)),
    ("Australia/Adelaide", dt.date(2027, 4, 4), hours(10.5), hours(9.5)),
    ("Australia/Adelaide", dt.date(2027, 10, 3), hours(9.5), hours(10.5)),
    # No DST in India: the same weekends change nothing there.
    ("Asia/Kolkata", dt.date(2027, 3, 28), hours(5.5), hours(5.5)),
    ("Asia/Kolkata", dt.date(2027, 10, 31), hours(5.5), hours(5.5)),
]


@pytest.mark.parametrize(
    ("tz_name", "night", "offset_before", "offset_after"),
    TRANSITIONS,
    ids=[f"{z}-{d.isoformat()}" for z, d, _, _ in TRANSITIONS],
)
def test_over_a_dst_night_nudges_stay_at_nine_and_the_jour_fixe_at_its_local_time(
    db: Database,
    timing: Timing,
    tz_name: str,
    night: dt.date,
    offset_before: dt.timedelta,
    offset_after: dt.timedelta,
) -> None:
    tz = ZoneInfo(tz_name)
    assert night.weekday() == 6
    first = night - dt.timedelta(days=6)  # the Monday of the week that ends with the DST night
    days = [first + dt.timedelta(weeks=k) for k in range(WEEKS)]
    pair_id = make_pair(
        db, mentor_tz=tz_name, mentee_tz=tz_name, weekday=0, local_time=MEETING, first_meeting=first
    )

    plan_weeks(db, timing, tz, days)

    found = planned(db, pair_id)
    assert [jf.occurrence for jf, _ in found] == days
    offsets = []
    for (jf, rows), day in zip(found, days, strict=True):
        meeting = jf.planned_at.astimezone(tz)
        assert (meeting.date(), meeting.time()) == (day, MEETING)
        offsets.append(meeting.utcoffset())
        assert len(rows) == 4
        for user in ("UANNA", "UBERND"):
            nudge = rows[OutboxKind.NUDGE, user].due_at.astimezone(tz)
            assert (nudge.date(), nudge.time()) == (day, NINE), (user, nudge)
            assert nudge.weekday() == meeting.weekday() == 0
            checkin = rows[OutboxKind.CHECKIN, user].due_at.astimezone(tz)
            assert (checkin.date(), checkin.time()) == (day, dt.time(17, 0)), (user, checkin)
            # And the nudge is gone by the time the meeting starts.
            assert rows[OutboxKind.NUDGE, user].expires_at <= jf.planned_at
    assert offsets == [offset_before, offset_after, offset_after]
    # In UTC the meeting moved by the change of offset; on the wall clock it did not.
    utc_times = [jf.planned_at.astimezone(dt.UTC).time() for jf, _ in found]
    assert (utc_times[0] != utc_times[1]) == (offset_before != offset_after)


def _mondays(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(weeks=1)


# March and early April 2027: New York moves to EDT on 14 March, Berlin to CEST on 28 March.
# In between (Mondays 15 and 22 March) New York is 5 hours behind Berlin instead of 6.
MONDAYS = list(_mondays(dt.date(2027, 3, 1), dt.date(2027, 4, 5)))
GAP_WEEKS = {dt.date(2027, 3, 15), dt.date(2027, 3, 22)}
FRIDAY_BEFORE = -3


@pytest.mark.parametrize(
    ("berlin_time", "usual", "in_the_gap"),
    [
        # 15:00 Berlin is 09:00 in New York (too close for 09:00, so 08:00), 10:00 in the gap.
        (dt.time(15, 0), (0, dt.time(8, 0)), (0, dt.time(9, 0))),
        # 14:30 Berlin is 08:30 in New York: 08:00 the same day; 09:30 in the gap: 09:00.
        (dt.time(14, 30), (0, dt.time(8, 0)), (0, dt.time(9, 0))),
        # 14:00 Berlin is 08:00 in New York: the Friday before at 19:00; 09:00 in the gap: 08:00.
        (dt.time(14, 0), (FRIDAY_BEFORE, dt.time(19, 0)), (0, dt.time(8, 0))),
        # 16:00 Berlin is 10:00 (11:00 in the gap) in New York: 09:00 either way.
        (dt.time(16, 0), (0, dt.time(9, 0)), (0, dt.time(9, 0))),
    ],
    ids=["15:00", "14:30", "14:00", "16:00"],
)
def test_a_mentor_in_new_york_with_a_mentee_in_berlin_is_nudged_in_new_york_time(
    db: Database,
    timing: Timing,
    berlin_time: dt.time,
    usual: tuple[int, dt.time],
    in_the_gap: tuple[int, dt.time],
) -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    pair_id = make_pair(
        db,
        mentor="UCLARA",
        mentee="UBERND",
        mentor_tz="America/New_York",
        mentee_tz="Europe/Berlin",
        weekday=0,
        local_time=berlin_time,
        first_meeting=MONDAYS[0],
    )

    plan_weeks(db, timing, berlin, MONDAYS)

    found = planned(db, pair_id)
    assert [jf.occurrence for jf, _ in found] == MONDAYS
    gaps_seen = 0
    for jf, rows in found:
        meeting = jf.planned_at
        # The jour fixe is in the pair's zone (the mentee's): always at its Berlin time.
        assert meeting.astimezone(berlin).time() == berlin_time
        assert meeting.astimezone(berlin).date() == jf.occurrence
        in_gap = jf.occurrence in GAP_WEEKS
        gaps_seen += in_gap
        ny_gap = wall_clock(meeting, new_york) - wall_clock(meeting, berlin)
        assert ny_gap == hours(-5 if in_gap else -6)

        # The mentee in Berlin: 09:00 on the meeting day, check-in two hours after.
        nudge_b = rows[OutboxKind.NUDGE, "UBERND"].due_at.astimezone(berlin)
        assert (nudge_b.date(), nudge_b.time()) == (jf.occurrence, NINE)
        assert rows[OutboxKind.CHECKIN, "UBERND"].due_at == meeting + hours(2)

        # The mentor in New York: before the meeting, inside 08:00-19:00 there, on a workday.
        due = rows[OutboxKind.NUDGE, "UCLARA"].due_at
        nudge_ny = due.astimezone(new_york)
        assert due <= meeting - NUDGE_MARGIN, (jf.occurrence, nudge_ny)
        assert dt.time(8, 0) <= nudge_ny.time() <= dt.time(19, 0), (jf.occurrence, nudge_ny)
        assert nudge_ny.weekday() < 5, (jf.occurrence, nudge_ny)
        days_off, time = in_the_gap if in_gap else usual
        assert nudge_ny.date() == jf.occurrence + dt.timedelta(days=days_off), nudge_ny
        assert nudge_ny.time() == time, (jf.occurrence, nudge_ny)
        # The meeting is before noon in New York: the check-in comes two hours after it.
        assert rows[OutboxKind.CHECKIN, "UCLARA"].due_at == meeting + hours(2)
    assert gaps_seen == len(GAP_WEEKS)


@pytest.mark.parametrize(
    ("tz_name", "day"),
    [("Europe/Berlin", dt.date(2027, 3, 29)), ("America/New_York", dt.date(2027, 3, 15))],
    ids=["Europe/Berlin", "America/New_York"],
)
def test_a_pass_at_a_moment_in_the_dst_gap_plans_the_same_as_any_other(
    db: Database, timing: Timing, tz_name: str, day: dt.date
) -> None:
    # The clock reads 03:30 local, half an hour after the jump, the night before the meeting.
    tz = ZoneInfo(tz_name)
    pair_id = make_pair(
        db, mentor_tz=tz_name, mentee_tz=tz_name, weekday=0, local_time=MEETING, first_meeting=day
    )
    now = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(3, 30), tzinfo=tz)
    with freeze_time(now.astimezone(dt.UTC)):
        first = plan_pass(db, timing, now.astimezone(dt.UTC))
        again = plan_pass(db, timing, now.astimezone(dt.UTC) + dt.timedelta(hours=1))
    assert (first.jour_fixes, first.messages) == (1, 4)
    assert (again.jour_fixes, again.messages) == (0, 0)
    [(jf, rows)] = planned(db, pair_id)
    assert jf.planned_at.astimezone(tz).time() == MEETING
    assert {
        r.due_at.astimezone(tz).time() for (k, _), r in rows.items() if k is OutboxKind.NUDGE
    } == {NINE}


@pytest.mark.parametrize(
    ("mentor_tz", "mentee_tz", "local_time"),
    [
        ("Europe/Berlin", "Europe/Berlin", dt.time(7, 30)),
        ("America/New_York", "Europe/Berlin", dt.time(14, 0)),
    ],
    ids=["Berlin-07:30", "New_York-mentor-Berlin-14:00"],
)
def test_a_friday_evening_nudge_for_a_monday_morning_meeting_is_still_sendable_when_planned(
    db: Database, timing: Timing, mentor_tz: str, mentee_tz: str, local_time: dt.time
) -> None:
    monday = dt.date(2027, 6, 7)
    pair_id = make_pair(
        db,
        mentor="UCLARA",
        mentor_tz=mentor_tz,
        mentee_tz=mentee_tz,
        weekday=0,
        local_time=local_time,
        first_meeting=monday,
    )
    meeting = dt.datetime.combine(monday, local_time, tzinfo=ZoneInfo(mentee_tz))
    # The earliest pass that sees the occurrence at all: a minute earlier plans nothing.
    earliest = meeting.astimezone(dt.UTC) - timing.plan_ahead + dt.timedelta(minutes=1)
    with freeze_time(earliest) as clock:
        clock.move_to(earliest - dt.timedelta(minutes=2))
        assert plan_pass(db, timing, earliest - dt.timedelta(minutes=2)).jour_fixes == 0
        clock.move_to(earliest)
        assert plan_pass(db, timing, earliest).jour_fixes == 1
    [(_, rows)] = planned(db, pair_id)
    friday = rows[OutboxKind.NUDGE, "UCLARA"].due_at.astimezone(ZoneInfo(mentor_tz))
    assert (friday.date(), friday.time()) == (monday - dt.timedelta(days=3), dt.time(19, 0))
    # The dispatcher marks a row MISSED once now > expires_at: it must still lie ahead.
    for (kind, user), row in rows.items():
        if kind is OutboxKind.NUDGE:
            assert row.expires_at > earliest, (user, row.due_at, row.expires_at, earliest)
