"""Timing rules as pure functions: nudges, check-ins, send windows, weekends and DST nights."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.services.timing import (
    NUDGE_MARGIN,
    Timing,
    at_local,
    checkin_due,
    fit_back,
    fit_forward,
    nudge_due,
    zone,
)

DEFAULT = Timing()
LEAD = Timing(nudge_lead=dt.timedelta(hours=2))
UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
ADELAIDE = ZoneInfo("Australia/Adelaide")
ZONES = [BERLIN, NEW_YORK, KOLKATA, ADELAIDE]
ZONE_IDS = [z.key for z in ZONES]

# A plain week without DST changes anywhere: Monday 7 June .. Sunday 13 June 2027.
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2027, 6, 7) + dt.timedelta(days=i) for i in range(7))


def local(tz: ZoneInfo, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware instant at a wall time where the person is (fold=0)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def wall(moment: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, dt.time]:
    """What the person's own clock and calendar say at `moment`."""
    here = moment.astimezone(tz)
    return here.date(), here.time()


# --- nudge_due: the default 09:00 ---------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_by_default_the_nudge_comes_at_nine_on_the_meeting_day(tz: ZoneInfo) -> None:
    meeting = local(tz, WED, 15)
    assert wall(nudge_due(meeting, tz, DEFAULT), tz) == (WED, dt.time(9, 0))


def test_the_nudge_is_at_nine_in_the_recipients_zone_not_the_meetings() -> None:
    # 15:00 in Berlin (CEST) is 18:30 in Kolkata and 09:00 in New York.
    meeting = local(BERLIN, WED, 15)
    assert wall(nudge_due(meeting, KOLKATA, DEFAULT), KOLKATA) == (WED, dt.time(9, 0))
    assert nudge_due(meeting, KOLKATA, DEFAULT) == dt.datetime(2027, 6, 9, 3, 30, tzinfo=UTC)
    # For the partner in New York the meeting itself is at 09:00: the nudge moves to 08:00.
    assert wall(nudge_due(meeting, NEW_YORK, DEFAULT), NEW_YORK) == (WED, dt.time(8, 0))


def test_the_nudge_is_returned_in_utc() -> None:
    due = nudge_due(local(BERLIN, WED, 15), BERLIN, DEFAULT)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == dt.datetime(2027, 6, 9, 7, 0, tzinfo=UTC)


def test_a_configured_nudge_time_outside_the_window_is_moved_into_it() -> None:
    early = Timing(nudge_time=dt.time(6, 30))
    assert wall(nudge_due(local(BERLIN, WED, 15), BERLIN, early), BERLIN) == (WED, dt.time(8, 0))


# --- nudge_due: lead mode ------------------------------------------------------------------------


def test_with_a_lead_the_nudge_comes_that_long_before_the_meeting() -> None:
    meeting = local(BERLIN, WED, 15)
    assert nudge_due(meeting, BERLIN, LEAD) == meeting - dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("meeting_day", "meeting_time", "expected_day", "expected_time"),
    [
        # 07:00 wanted, clamped up to the window's start.
        (WED, dt.time(9, 0), WED, dt.time(8, 0)),
        # 19:30 wanted, clamped down to the window's end.
        (WED, dt.time(21, 30), WED, dt.time(19, 0)),
        # Exactly at the window's edges stays.
        (WED, dt.time(10, 0), WED, dt.time(8, 0)),
        (WED, dt.time(21, 0), WED, dt.time(19, 0)),
    ],
    ids=["too-early", "too-late", "at-start", "at-end"],
)
def test_with_a_lead_the_nudge_is_clamped_into_the_send_window(
    meeting_day: dt.date,
    meeting_time: dt.time,
    expected_day: dt.date,
    expected_time: dt.time,
) -> None:
    meeting = dt.datetime.combine(meeting_day, meeting_time, tzinfo=BERLIN)
    assert wall(nudge_due(meeting, BERLIN, LEAD), BERLIN) == (expected_day, expected_time)


def test_with_a_lead_that_reaches_into_the_weekend_the_nudge_is_on_friday_evening() -> None:
    long_lead = Timing(nudge_lead=dt.timedelta(hours=36))
    # Monday 10:00 minus 36 h is Saturday 22:00.
    meeting = local(BERLIN, MON + dt.timedelta(days=7), 10)
    assert wall(nudge_due(meeting, BERLIN, long_lead), BERLIN) == (FRI, dt.time(19, 0))


def test_with_a_lead_too_close_to_an_early_meeting_the_nudge_is_the_evening_before() -> None:
    # Meeting at 08:10: 06:10 is clamped to 08:00, which is not 15 min before; so Tuesday 19:00.
    meeting = local(BERLIN, WED, 8, 10)
    assert wall(nudge_due(meeting, BERLIN, LEAD), BERLIN) == (TUE, dt.time(19, 0))


# --- nudge_due: early meetings -------------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_a_meeting_at_half_past_eight_is_nudged_at_eight_the_same_day(tz: ZoneInfo) -> None:
    meeting = local(tz, WED, 8, 30)
    assert wall(nudge_due(meeting, tz, DEFAULT), tz) == (WED, dt.time(8, 0))


def test_a_meeting_at_a_quarter_past_eight_is_still_nudged_at_eight() -> None:
    # Exactly the 15-minute margin is enough.
    meeting = local(BERLIN, WED, 8, 15)
    assert nudge_due(meeting, BERLIN, DEFAULT) == meeting - NUDGE_MARGIN


def test_a_meeting_at_ten_past_eight_is_nudged_the_evening_before() -> None:
    meeting = local(BERLIN, WED, 8, 10)
    assert wall(nudge_due(meeting, BERLIN, DEFAULT), BERLIN) == (TUE, dt.time(19, 0))


def test_a_meeting_at_a_quarter_past_nine_is_nudged_at_eight_not_at_nine() -> None:
    # 09:00 is only 15 minutes before: allowed. 09:10 would be too close for 09:00.
    assert wall(nudge_due(local(BERLIN, WED, 9, 15), BERLIN, DEFAULT), BERLIN) == (
        WED,
        dt.time(9, 0),
    )
    assert wall(nudge_due(local(BERLIN, WED, 9, 10), BERLIN, DEFAULT), BERLIN) == (
        WED,
        dt.time(8, 0),
    )


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_a_meeting_at_seven_is_nudged_at_seven_pm_on_the_workday_before(tz: ZoneInfo) -> None:
    meeting = local(tz, WED, 7)
    assert wall(nudge_due(meeting, tz, DEFAULT), tz) == (TUE, dt.time(19, 0))


def test_a_partner_abroad_with_a_meeting_at_seven_their_time_is_nudged_the_evening_before() -> None:
    # 13:00 in Berlin (CEST, +2) is 07:00 in New York (EDT, -4).
    meeting = local(BERLIN, WED, 13)
    assert wall(nudge_due(meeting, NEW_YORK, DEFAULT), NEW_YORK) == (TUE, dt.time(19, 0))
    assert wall(nudge_due(meeting, BERLIN, DEFAULT), BERLIN) == (WED, dt.time(9, 0))


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_a_monday_meeting_at_half_past_seven_is_nudged_on_the_previous_friday_at_seven_pm(
    tz: ZoneInfo,
) -> None:
    meeting = local(tz, MON, 7, 30)
    assert wall(nudge_due(meeting, tz, DEFAULT), tz) == (MON - dt.timedelta(days=3), dt.time(19, 0))


def test_a_meeting_on_the_partners_weekend_is_nudged_on_their_friday_evening() -> None:
    # Monday 06:00 in Adelaide (ACST, +9:30) is Sunday 16:30 in New York (EDT).
    meeting = local(ADELAIDE, MON + dt.timedelta(days=7), 6)
    assert wall(meeting, NEW_YORK) == (SUN, dt.time(16, 30))
    assert wall(nudge_due(meeting, NEW_YORK, DEFAULT), NEW_YORK) == (FRI, dt.time(19, 0))


def _workday_meetings() -> list[tuple[dt.datetime, ZoneInfo]]:
    """Every half hour from 06:00 to 21:00 on each workday over both 2027 spring DST nights."""
    found = []
    for pair_zone in ZONES:
        day = dt.date(2027, 3, 8)
        while day <= dt.date(2027, 4, 9):
            if day.weekday() < 5:
                for minutes in range(6 * 60, 21 * 60 + 1, 30):
                    found.append((local(pair_zone, day, minutes // 60, minutes % 60), pair_zone))
            day += dt.timedelta(days=1)
    return found


@pytest.mark.parametrize("timing", [DEFAULT, LEAD], ids=["default", "lead"])
def test_a_nudge_is_never_on_a_weekend_always_in_the_window_and_before_the_meeting(
    timing: Timing,
) -> None:
    checked = 0
    for meeting, _ in _workday_meetings():
        for tz in ZONES:
            due = nudge_due(meeting, tz, timing)
            here = due.astimezone(tz)
            assert here.weekday() < 5, (meeting, tz, here)
            assert dt.time(8, 0) <= here.time() <= dt.time(19, 0), (meeting, tz, here)
            assert due <= meeting - NUDGE_MARGIN, (meeting, tz, here)
            checked += 1
    assert checked > 10_000


def test_a_nudge_never_comes_more_than_three_days_early() -> None:
    # The furthest back is Friday 19:00 for a Monday morning meeting.
    for meeting, _ in _workday_meetings():
        for tz in ZONES:
            assert meeting - nudge_due(meeting, tz, DEFAULT) < dt.timedelta(days=3), (meeting, tz)


# --- fit_forward and fit_back --------------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_fit_forward_from_friday_at_eight_pm_waits_until_monday_at_eight(tz: ZoneInfo) -> None:
    moved = fit_forward(local(tz, FRI, 20), tz, DEFAULT)
    assert wall(moved, tz) == (FRI + dt.timedelta(days=3), dt.time(8, 0))


@pytest.mark.parametrize(
    ("day", "hour", "expected_day", "expected_time"),
    [
        (WED, 6, WED, dt.time(8, 0)),
        (WED, 20, THU, dt.time(8, 0)),
        (SAT, 12, MON + dt.timedelta(days=7), dt.time(8, 0)),
        (SUN, 7, MON + dt.timedelta(days=7), dt.time(8, 0)),
    ],
    ids=["before-the-window", "after-the-window", "saturday", "sunday-morning"],
)
def test_fit_forward_moves_to_the_next_window_start_on_a_workday(
    day: dt.date, hour: int, expected_day: dt.date, expected_time: dt.time
) -> None:
    assert wall(fit_forward(local(BERLIN, day, hour), BERLIN, DEFAULT), BERLIN) == (
        expected_day,
        expected_time,
    )


@pytest.mark.parametrize("hour", [8, 12, 19])
def test_fit_forward_leaves_an_instant_inside_the_window_alone(hour: int) -> None:
    moment = local(BERLIN, WED, hour)
    assert fit_forward(moment, BERLIN, DEFAULT) == moment


@pytest.mark.parametrize(
    ("day", "hour", "expected_day", "expected_time"),
    [
        (WED, 20, WED, dt.time(19, 0)),
        (WED, 7, TUE, dt.time(19, 0)),
        (MON, 7, MON - dt.timedelta(days=3), dt.time(19, 0)),
        (SAT, 12, FRI, dt.time(19, 0)),
    ],
    ids=["after-the-window", "before-the-window", "monday-morning", "saturday"],
)
def test_fit_back_moves_to_the_last_window_end_on_a_workday(
    day: dt.date, hour: int, expected_day: dt.date, expected_time: dt.time
) -> None:
    assert wall(fit_back(local(BERLIN, day, hour), BERLIN, DEFAULT), BERLIN) == (
        expected_day,
        expected_time,
    )


def test_fit_back_leaves_an_instant_inside_the_window_alone() -> None:
    moment = local(KOLKATA, THU, 12, 30)
    assert fit_back(moment, KOLKATA, DEFAULT) == moment


# --- checkin_due ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES, ids=ZONE_IDS)
def test_the_check_in_comes_two_hours_after_the_meeting(tz: ZoneInfo) -> None:
    meeting = local(tz, WED, 15)
    assert checkin_due(meeting, tz, DEFAULT) == meeting + dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("day", "hour", "minute", "expected_day", "expected_time"),
    [
        (WED, 17, 30, THU, dt.time(8, 0)),
        (FRI, 18, 0, MON + dt.timedelta(days=7), dt.time(8, 0)),
        (WED, 17, 0, WED, dt.time(19, 0)),
        (WED, 6, 0, WED, dt.time(8, 0)),
    ],
    ids=["after-the-window", "friday-evening", "at-the-window-end", "early-meeting"],
)
def test_a_check_in_outside_the_window_is_moved_forward_to_the_next_workday_morning(
    day: dt.date, hour: int, minute: int, expected_day: dt.date, expected_time: dt.time
) -> None:
    meeting = local(BERLIN, day, hour, minute)
    assert wall(checkin_due(meeting, BERLIN, DEFAULT), BERLIN) == (expected_day, expected_time)


def test_the_check_in_is_in_the_recipients_own_window() -> None:
    # 15:00 in Berlin is 18:30 in Kolkata: 20:30 there is too late, so Thursday 08:00 IST.
    meeting = local(BERLIN, WED, 15)
    assert wall(checkin_due(meeting, KOLKATA, DEFAULT), KOLKATA) == (THU, dt.time(8, 0))


def test_the_check_in_delay_is_configurable() -> None:
    meeting = local(BERLIN, WED, 10)
    later = Timing(checkin_after=dt.timedelta(hours=4))
    assert checkin_due(meeting, BERLIN, later) == meeting + dt.timedelta(hours=4)


# --- at_local and DST nights ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "time", "expected_utc", "expected_wall"),
    [
        # Berlin: 02:00 CET jumps to 03:00 CEST.
        (BERLIN, dt.date(2027, 3, 28), dt.time(2, 30), dt.datetime(2027, 3, 28, 1, 30), "03:30"),
        # New York: 02:00 EST jumps to 03:00 EDT.
        (NEW_YORK, dt.date(2027, 3, 14), dt.time(2, 30), dt.datetime(2027, 3, 14, 7, 30), "03:30"),
        # Adelaide: 02:00 ACST (+9:30) jumps to 03:00 ACDT (+10:30).
        (ADELAIDE, dt.date(2027, 10, 3), dt.time(2, 30), dt.datetime(2027, 10, 2, 17, 0), "03:30"),
    ],
    ids=["Europe/Berlin", "America/New_York", "Australia/Adelaide"],
)
def test_a_wall_time_in_the_spring_forward_gap_lands_one_hour_later(
    tz: ZoneInfo, day: dt.date, time: dt.time, expected_utc: dt.datetime, expected_wall: str
) -> None:
    got = at_local(day, time, tz)
    assert got == expected_utc.replace(tzinfo=UTC)
    assert got.astimezone(tz).strftime("%H:%M") == expected_wall
    assert got.astimezone(tz).date() == day


@pytest.mark.parametrize(
    ("tz", "day", "time", "expected_utc"),
    [
        # Berlin: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        (BERLIN, dt.date(2027, 10, 31), dt.time(2, 30), dt.datetime(2027, 10, 31, 0, 30)),
        # New York: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
        (NEW_YORK, dt.date(2027, 11, 7), dt.time(1, 30), dt.datetime(2027, 11, 7, 5, 30)),
        # Adelaide: 02:30 happens at 16:00 UTC (ACDT) and again at 17:00 UTC (ACST).
        (ADELAIDE, dt.date(2027, 4, 4), dt.time(2, 30), dt.datetime(2027, 4, 3, 16, 0)),
    ],
    ids=["Europe/Berlin", "America/New_York", "Australia/Adelaide"],
)
def test_a_repeated_autumn_wall_time_means_its_first_occurrence(
    tz: ZoneInfo, day: dt.date, time: dt.time, expected_utc: dt.datetime
) -> None:
    got = at_local(day, time, tz)
    assert got == expected_utc.replace(tzinfo=UTC)
    second = dt.datetime.combine(day, time, tzinfo=tz).replace(fold=1).astimezone(UTC)
    assert got == second - dt.timedelta(hours=1)


def test_at_local_in_a_half_hour_zone_keeps_the_half_hour() -> None:
    assert at_local(WED, dt.time(9, 0), KOLKATA) == dt.datetime(2027, 6, 9, 3, 30, tzinfo=UTC)
    assert at_local(WED, dt.time(9, 0), ADELAIDE) == dt.datetime(2027, 6, 8, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "before", "after"),
    [
        (BERLIN, dt.date(2027, 3, 26), dt.date(2027, 3, 29)),
        (BERLIN, dt.date(2027, 10, 29), dt.date(2027, 11, 1)),
        (NEW_YORK, dt.date(2027, 3, 12), dt.date(2027, 3, 15)),
        (NEW_YORK, dt.date(2027, 11, 5), dt.date(2027, 11, 8)),
        (ADELAIDE, dt.date(2027, 4, 2), dt.date(2027, 4, 5)),
        (ADELAIDE, dt.date(2027, 10, 1), dt.date(2027, 10, 4)),
    ],
    ids=[
        "Berlin-spring",
        "Berlin-autumn",
        "New_York-spring",
        "New_York-autumn",
        "Adelaide-autumn",
        "Adelaide-spring",
    ],
)
def test_over_a_dst_weekend_the_nudge_stays_at_nine_on_the_wall_clock_and_moves_in_utc(
    tz: ZoneInfo, before: dt.date, after: dt.date
) -> None:
    first = nudge_due(local(tz, before, 15), tz, DEFAULT)
    second = nudge_due(local(tz, after, 15), tz, DEFAULT)
    assert wall(first, tz) == (before, dt.time(9, 0))
    assert wall(second, tz) == (after, dt.time(9, 0))
    assert first.time() != second.time()
    assert abs(second - first - dt.timedelta(days=3)) == dt.timedelta(hours=1)


# --- zone -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../etc/passwd"])
def test_an_unknown_zone_is_read_as_utc(name: str | None) -> None:
    assert zone(name) == ZoneInfo("UTC")


def test_a_known_zone_is_that_zone() -> None:
    assert zone("Asia/Kolkata") == KOLKATA
