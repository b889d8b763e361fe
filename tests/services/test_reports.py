"""HR reports: periods, k-anonymity that survives differencing, and SQL aggregates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from bot.i18n import translator
from bot.sandbox.databases import wipe
from bot.services import reports
from bot.services.report_csv import csv_text
from bot.services.reports import PeriodError, build_report, parse_period, suppress
from bot.store.db import Database, read_snapshot
from bot.store.models import (
    JourFixe,
    MeetingStatus,
    Pair,
    PairStatus,
    Participant,
    ParticipantSkill,
    Poll,
    PollAnswer,
    Role,
    SkillKind,
    Status,
)

TODAY = dt.date(2026, 12, 1)
K = 5


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("given", "label", "start", "end"),
    [
        ("", "30d", dt.date(2026, 11, 2), dt.date(2026, 12, 2)),
        ("90d", "90d", dt.date(2026, 9, 3), dt.date(2026, 12, 2)),
        ("2026-q3", "2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
        ("2026-10", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
        ("ALL", "all", None, dt.date(2026, 12, 2)),
    ],
)
def test_every_period_form_is_understood(
    given: str, label: str, start: dt.date | None, end: dt.date
) -> None:
    period = parse_period(given, TODAY)
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize(
    "given",
    # 31d would differ from 30d by one day's ratings; far-off years must not crash.
    ["last month", "2026-13", "2026-Q5", "0d", "-3d", "31d", "1999-01", "0001-Q1", "9999-12"],
)
def test_an_unknown_period_is_a_clear_error(given: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(given, TODAY)
    assert caught.value.problem == "unknown"


def test_a_period_in_the_future_is_refused() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period("2027-Q1", TODAY)
    assert caught.value.problem == "future"


def test_the_trend_steps_back_period_by_period() -> None:
    labels = [p.label for p in reports.trend_periods(parse_period("2026-10", TODAY), TODAY)]
    assert labels == ["2026-07", "2026-08", "2026-09", "2026-10"]
    quarters = [p.label for p in reports.trend_periods(parse_period("all", TODAY), TODAY)]
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


# --------------------------------------------------------------------------- suppression


def test_a_slice_below_k_is_hidden_and_so_is_its_complement() -> None:
    # One hidden slice alone could be recovered as total minus the rest.
    assert suppress({"A": 20, "B": 9, "C": 4}, 5) == {"C", "B"}
    # Two small slices together still below k: another one goes.
    assert suppress({"A": 20, "B": 9, "C": 1, "D": 2}, 5) == {"C", "D", "B"}
    assert suppress({"A": 20, "B": 9}, 5) == set()
    assert suppress({"A": 4}, 5) == {"A"}


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 30), max_size=8))
def test_no_hidden_slice_can_be_derived_by_differencing(counts: dict[str, int]) -> None:
    k = 5
    hidden = suppress(counts, k)
    visible = {key: n for key, n in counts.items() if key not in hidden and n > 0}
    assert all(n >= k for n in visible.values())
    remainder = sum(counts[key] for key in hidden)
    # total - visible = remainder: either nothing is hidden, or the remainder spreads at
    # least k people over at least two slices, or there is nothing visible to subtract.
    assert not hidden or (len(hidden) >= 2 and remainder >= k) or not visible


# --------------------------------------------------------------------------- the report


def _seed(db: Database, groups: dict[str, tuple[int, list[int]]], *, wanted: str = "") -> None:
    """Per department: how many pairs, and the ratings their mentees gave (one per pair)."""
    created = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    n = 0
    with db.sessions.begin() as s:
        for department, (pairs, ratings) in groups.items():
            for i in range(pairs):
                n += 1
                mentor = Participant(
                    team_id="T0001",
                    slack_user_id=f"UM{n:05d}",
                    role=Role.MENTOR,
                    department="IT",
                    created_at=created,
                )
                mentee = Participant(
                    team_id="T0001",
                    slack_user_id=f"UE{n:05d}",
                    role=Role.MENTEE,
                    department=department,
                    created_at=created,
                )
                s.add_all([mentor, mentee])
                s.flush()
                s.add(
                    ParticipantSkill(
                        participant_id=mentor.id,
                        skill_key="social_media",
                        kind=SkillKind.OFFERED,
                        level=4,
                    )
                )
                if wanted:
                    s.add(
                        ParticipantSkill(
                            participant_id=mentee.id,
                            skill_key=wanted,
                            kind=SkillKind.WANTED,
                            level=1,
                        )
                    )
                pair = Pair(
                    team_id="T0001", mentor_id=mentor.id, mentee_id=mentee.id, created_at=created
                )
                s.add(pair)
                s.flush()
                jf = JourFixe(
                    pair_id=pair.id,
                    occurrence=dt.date(2026, 10, 7),
                    planned_at=dt.datetime(2026, 10, 7, 13, tzinfo=dt.UTC),
                    status=MeetingStatus.MET,
                )
                s.add(jf)
                s.flush()
                for who in (mentor, mentee):
                    poll = Poll(
                        jour_fixe_id=jf.id,
                        participant_id=who.id,
                        team_id="T0001",
                        occurrence=jf.occurrence,
                    )
                    s.add(poll)
                    s.flush()
                    if who is mentee and i < len(ratings):
                        s.add(
                            PollAnswer(
                                poll_id=poll.id, rating=ratings[i], learned=f"note {department} {i}"
                            )
                        )


def _report(db: Database, period: str = "2026-10") -> reports.Report:
    with db.sessions() as s:
        return build_report("T0001", parse_period(period, TODAY), session=s, k=K, today=TODAY)


def test_a_department_with_k_minus_1_respondents_is_hidden_and_not_derivable(
    db: Database,
) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [5] * 6), "Finance": (5, [2] * 5), "Legal": (4, [1] * 4)})
    report = _report(db)
    assert report.ratings is not None and report.ratings.respondents == 15
    by_dept = {s.key: s for s in report.by_department}
    # Legal (4 = k-1) is hidden; Finance, the smallest visible one, too: otherwise
    # all - Sales - Finance would be Legal's ratings.
    assert set(by_dept) == {"Sales"}
    assert report.by_department_hidden
    assert by_dept["Sales"].figures is not None
    hidden = report.ratings.respondents - sum(s.respondents for s in report.by_department)
    assert hidden >= K
    # Participation by department: Legal has 4 mentees, hidden there too (IT has the mentors).
    people = {s.key: s.respondents for s in report.departments}
    assert "Legal" not in people and report.departments_hidden
    assert report.mentors + report.mentees - sum(people.values()) >= K


def test_by_role_a_role_below_k_hides_both(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [4] * 6)})
    report = _report(db)
    assert report.ratings is not None and report.ratings.respondents == 6
    assert [s.key for s in report.by_role] == ["mentee"]  # only mentees rated
    assert report.ratings.distribution == (0, 0, 0, 6, 0)
    assert report.ratings.average == 4.0
    assert report.response_rate == pytest.approx(6 / 12)
    # Four mentors rate too: their slice is below k, and the mentees' would give it away.
    with db.sessions.begin() as s:
        mentor_polls = s.scalars(
            select(Poll.id).join(Participant).where(Participant.role == Role.MENTOR).limit(4)
        ).all()
        s.add_all(PollAnswer(poll_id=pid, rating=1) for pid in mentor_polls)
    report = _report(db)
    assert report.ratings is not None and report.ratings.respondents == 10
    assert report.by_role == [] and report.by_role_hidden


def test_fewer_than_k_respondents_in_all_show_no_ratings_at_all(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [5, 5, 5, 5])})
    report = _report(db)
    assert report.respondents == 4
    assert report.ratings is None and report.by_department == [] and report.by_role == []
    assert all(p.average is None for p in report.trend)


def test_activity_skills_comments_and_an_empty_programme(db: Database) -> None:
    wipe(db)
    empty = _report(db)
    assert empty.empty and empty.activity is None and empty.ratings is None
    _seed(db, {"Sales": (10, [3] * 10)}, wanted="ai_assistants")
    report = _report(db)
    assert report.activity is not None and report.activity["met"] == 10
    assert report.meeting_rate == 1.0
    weeks = [dt.date(2026, 9, 28) + dt.timedelta(weeks=i) for i in range(5)]
    assert report.met_per_week == [(w, 10 if w == dt.date(2026, 10, 5) else 0) for w in weeks]
    assert report.at_risk == 0
    skills = {s.key: (s.offered, s.wanted) for s in report.skills}
    assert skills == {"social_media": (10, 0), "ai_assistants": (0, 10)}
    assert [s.key for s in report.unmet] == ["ai_assistants"]
    assert report.comments["learned"] == 10
    # Ten comments from ten people: shown, shuffled, without anything else.
    assert sorted(report.themes["learned"]) == sorted(f"note Sales {i}" for i in range(10))
    assert "keep" not in report.themes
    # Another month: nothing met there.
    assert _report(db, "2026-09").activity is None


def test_nine_comments_are_only_counted(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (9, [3] * 9)})
    report = _report(db)
    assert report.comments["learned"] == 9 and report.themes == {}


def test_the_csv_never_holds_a_hidden_figure(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [5] * 6), "Legal": (4, [1] * 4)})
    report = _report(db)
    rows = list(csv.reader(io.StringIO(csv_text(report, translator("en"), str).lstrip("\ufeff"))))
    assert rows[0] == ["Section", "Group", "Figure", "Value", "Key"]
    # Legal is below k, and Sales goes with it (all minus Sales would be Legal).
    figures = [row for row in rows if row[2] != "comment"]  # comments say "note Sales 3"
    assert not [row for row in figures if "Legal" in str(row) or "Sales" in str(row)]
    by_key = {row[4]: row[3] for row in figures[1:]}
    assert by_key["satisfaction/hidden:department/average"] == "hidden (fewer than k)"
    assert by_key["participation/hidden:department/people"] == "hidden (fewer than k)"
    assert by_key["satisfaction/all/respondents"] == "10"


def test_role_and_department_cannot_be_subtracted_from_each_other(db: Database) -> None:
    # Six mentors in IT, one mentee in IT, five mentees on the Board: "IT" minus "mentors"
    # (or "mentees" minus "Board") would be the lone IT mentee's rating.
    wipe(db)
    _seed(db, {"IT": (1, [1]), "Board": (5, [5] * 5)})
    with db.sessions.begin() as s:
        mentor_polls = s.scalars(
            select(Poll.id).join(Participant).where(Participant.role == Role.MENTOR)
        ).all()
        s.add_all(PollAnswer(poll_id=pid, rating=4) for pid in mentor_polls)
    report = _report(db)
    assert report.ratings is not None and report.ratings.respondents == 12
    assert report.by_role == [] and report.by_role_hidden
    assert report.by_department == [] and report.by_department_hidden


def test_people_who_left_after_a_period_still_count_in_it(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [])})
    with db.sessions.begin() as s:
        someone = s.scalar(select(Participant).where(Participant.slack_user_id == "UE00001"))
        assert someone is not None
        someone.status = Status.LEFT
        someone.left_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    october, november = _report(db, "2026-10"), _report(db, "2026-11")
    assert (october.mentees, october.left) == (6, 0)
    assert (november.mentees, november.left) == (5, 1)


def test_a_report_on_two_sessions_of_one_snapshot_equals_the_report_on_one(
    db: Database,
) -> None:
    wipe(db)
    _seed(
        db,
        {"Sales": (12, [5, 4, 4, 3] * 3), "Finance": (6, [2] * 6), "Legal": (4, [1] * 4)},
        wanted="ai_assistants",
    )
    period = parse_period("90d", TODAY)
    with db.sessions() as s:
        alone = build_report("T0001", period, session=s, k=K, today=TODAY)
    with read_snapshot(db.sessions, 2) as (first, second):
        both = build_report("T0001", period, session=first, helper=second, k=K, today=TODAY)
    # The comment sample is drawn at random: compare it as a set.
    assert {k: sorted(v) for k, v in both.themes.items()} == {
        k: sorted(v) for k, v in alone.themes.items()
    }
    both.themes = alone.themes = {}
    assert both == alone
    assert alone.ratings is not None and alone.activity is not None and alone.skills


def test_snapshot_sessions_all_miss_what_is_committed_after_the_snapshot(db: Database) -> None:
    wipe(db)
    _seed(db, {"Sales": (3, [4] * 3)})
    count = select(func.count()).select_from(Participant)
    with read_snapshot(db.sessions, 2) as sessions:
        postgres = db.engine.dialect.name == "postgresql"
        # PostgreSQL: two connections, the second not yet used when the row is committed.
        # SQLite: one session handed out twice (for one thread), its snapshot taken at once.
        assert (sessions[0] is not sessions[1]) is postgres
        assert sessions[0].scalar(count) == 6
        with db.sessions.begin() as s:
            s.add(Participant(team_id="T0001", slack_user_id="ULATE", role=Role.MENTEE))
        assert [s.scalar(count) for s in sessions] == [6, 6]
    with db.sessions() as s:
        assert s.scalar(count) == 7


def test_someone_moving_department_during_a_report_without_a_snapshot_breaks_nothing(
    db: Database,
) -> None:
    wipe(db)
    _seed(db, {"Sales": (6, [4] * 6), "Legal": (6, [3] * 6)})

    def move_once(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        # Between the poll figures and the respondents of the same cells.
        if "EXISTS" in statement and not moved:
            moved.append(True)
            with db.sessions.begin() as s:
                person = s.scalar(select(Participant).where(Participant.slack_user_id == "UE00001"))
                assert person is not None
                person.department = "Brand new"

    moved: list[bool] = []
    event.listen(db.engine, "before_cursor_execute", move_once)
    try:
        with db.sessions() as s:
            s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            report = build_report(
                "T0001", parse_period("2026-10", TODAY), session=s, k=K, today=TODAY
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", move_once)
    assert moved and report.ratings is not None


# ------------------------------------------------ meetings: weeks, trend quarters, pairs at risk


_PEOPLE = itertools.count()


def _pairs(
    db: Database, n: int, *, ended: dt.datetime | None = None, department: str = "IT"
) -> list[int]:
    created = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    ids = []
    with db.sessions.begin() as s:
        for _ in range(n):
            people = [
                Participant(
                    team_id="T0001",
                    slack_user_id=f"U{role[:2].upper()}{next(_PEOPLE):05d}",
                    role=role,
                    department=department,
                    created_at=created,
                )
                for role in (Role.MENTOR, Role.MENTEE)
            ]
            s.add_all(people)
            s.flush()
            pair = Pair(
                team_id="T0001",
                mentor_id=people[0].id,
                mentee_id=people[1].id,
                created_at=created,
                status=PairStatus.ENDED if ended else PairStatus.ACTIVE,
                ended_at=ended,
            )
            s.add(pair)
            s.flush()
            ids.append(pair.id)
    return ids


def _meet(db: Database, pair_id: int, day: dt.date, status: MeetingStatus) -> None:
    with db.sessions.begin() as s:
        planned = dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC)
        s.add(JourFixe(pair_id=pair_id, occurrence=day, planned_at=planned, status=status))


def _period_report(db: Database, given: str) -> reports.Report:
    with db.sessions() as s:
        return build_report("T0001", parse_period(given, TODAY), session=s, k=K, today=TODAY)


def test_a_week_of_fewer_than_k_meetings_is_hidden_and_so_is_its_complement(
    db: Database,
) -> None:
    wipe(db)
    pairs = _pairs(db, 6)
    for pair_id in pairs:
        _meet(db, pair_id, dt.date(2026, 10, 7), MeetingStatus.MET)
        _meet(db, pair_id, dt.date(2026, 10, 14), MeetingStatus.MET)
    _meet(db, pairs[0], dt.date(2026, 10, 21), MeetingStatus.MET)  # one pair's week
    report = _period_report(db, "2026-10")
    assert report.activity is not None and report.activity["met"] == 13
    weeks = dict(report.met_per_week)
    # The week of one meeting is hidden; 13 - 6 would give it, so one of the sixes goes too.
    assert weeks[dt.date(2026, 10, 19)] is None
    assert sorted(weeks[d] or 0 for d in (dt.date(2026, 10, 5), dt.date(2026, 10, 12))) == [0, 6]
    visible = sum(n for n in weeks.values() if n)
    assert report.activity["met"] - visible >= K
    assert weeks[dt.date(2026, 9, 28)] == 0 and weeks[dt.date(2026, 10, 26)] == 0


def test_all_time_minus_the_visible_quarters_never_gives_a_hidden_quarter(db: Database) -> None:
    wipe(db)
    pairs = _pairs(db, 6)
    for pair_id in pairs:
        _meet(db, pair_id, dt.date(2026, 8, 5), MeetingStatus.MET)
    # In Q4 only two pairs had jour fixes: too few, hidden.
    _meet(db, pairs[0], dt.date(2026, 10, 14), MeetingStatus.MET)
    _meet(db, pairs[1], dt.date(2026, 10, 14), MeetingStatus.MISSED)
    report = _period_report(db, "all")
    assert report.activity is not None and report.activity["met"] == 7
    quarters = {p.label: p for p in report.trend}
    assert quarters["2026-Q4"].met is None and quarters["2026-Q4"].meeting_rate is None
    # All time minus Q3 would be Q4: Q3 is hidden too.
    assert quarters["2026-Q3"].met is None
    # The weekly chart of `all` covers the current quarter, which is hidden.
    assert report.met_per_week == []


def test_pairs_at_risk_are_counted_only_among_at_least_k_pairs_active_now(db: Database) -> None:
    wipe(db)
    (still,) = _pairs(db, 1)
    _pairs(db, 5, ended=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    for day in (7, 14, 21):
        _meet(db, still, dt.date(2026, 10, day), MeetingStatus.MISSED)
    # Six pairs were active in October, but only one is today: "1 at risk" would name it.
    october = _period_report(db, "2026-10")
    assert october.active_pairs == 6 and october.at_risk is None
    # Five pairs active, one of them at risk: four fine ones are too few to hide it among.
    _pairs(db, 4)
    assert _period_report(db, "2026-10").at_risk is None
    _pairs(db, 1)
    assert _period_report(db, "2026-10").at_risk == 1


def test_pairs_at_risk_are_hidden_when_nearly_every_pair_is(db: Database) -> None:
    wipe(db)
    pairs = _pairs(db, 6)
    for pair_id in pairs[:5]:
        for day in (7, 14, 21):
            _meet(db, pair_id, dt.date(2026, 10, day), MeetingStatus.MISSED)
    # "5 of 6 at risk": HR, knowing the one pair that met, would know it of all the others.
    assert _period_report(db, "2026-10").at_risk is None


def test_people_who_left_in_the_last_30_days_are_counted_in_30d(db: Database) -> None:
    from bot.services import enrollment

    wipe(db)
    _seed(db, {"Sales": (6, [])})
    with db.sessions.begin() as s:
        for n in range(1, 7):
            left = enrollment.leave(
                session=s,
                team_id="T0001",
                user_id=f"UE{n:05d}",
                now=dt.datetime(2026, 11, 15, 10, tzinfo=dt.UTC),
            )
            assert left
    last_30 = _report(db, "30d")
    assert (last_30.left, last_30.mentees, last_30.mentors) == (6, 0, 6)
    assert not last_30.empty
    assert _report(db, "2026-11").left == 6 and _report(db, "2026-10").left == 0


def test_a_past_report_reads_the_same_after_someone_leaves(db: Database) -> None:
    # Comparing a report before and after a known person left must not give their rating.
    from bot.services import enrollment

    wipe(db)
    _seed(db, {"Sales": (7, [1, 4, 4, 4, 4, 4, 4])})
    before = _report(db)
    with db.sessions.begin() as s:
        assert enrollment.leave(session=s, team_id="T0001", user_id="UE00001")
    after = _report(db)
    assert before.ratings is not None and after.ratings is not None
    assert after.ratings.distribution == before.ratings.distribution == (1, 0, 0, 6, 0)
    assert after.ratings.average == before.ratings.average
    # Only counts say that one of them is gone: people who rated, and comments (whose text
    # is deleted, and retention must not find them any more).
    assert (before.respondents, after.respondents) == (7, 6)
    assert (before.comments["learned"], after.comments["learned"]) == (7, 6)


def test_a_leavers_kept_ratings_never_form_a_visible_difference(db: Database) -> None:
    # Legal's only rater leaves: their rating stays in the sums but nobody counts for it.
    # All minus the visible departments would be exactly that rating, so Legal's cell is
    # hidden as a small one and Sales with it.
    from bot.services import enrollment

    wipe(db)
    _seed(db, {"Sales": (6, [4] * 6), "Legal": (1, [1])})
    with db.sessions.begin() as s:
        assert enrollment.leave(session=s, team_id="T0001", user_id="UE00007")
    report = _report(db)
    assert report.ratings is not None and report.ratings.distribution == (1, 0, 0, 6, 0)
    assert report.by_department == [] and report.by_department_hidden
    assert report.by_role == [] and report.by_role_hidden


def test_one_small_week_beside_empty_weeks_hides_every_week(db: Database) -> None:
    wipe(db)
    pairs = _pairs(db, 5)
    for pair_id in pairs:
        _meet(db, pair_id, dt.date(2026, 10, 7), MeetingStatus.MISSED)
    for pair_id in pairs[:3]:
        _meet(db, pair_id, dt.date(2026, 10, 14), MeetingStatus.MET)
    report = _period_report(db, "2026-10")
    assert report.activity is not None and report.activity["met"] == 3
    # Shown as "3 met"; zero weeks beside one hidden week would give it away.
    assert report.met_per_week and all(n is None for _, n in report.met_per_week)


def test_the_weekly_chart_ends_this_week_and_an_open_month_says_so(db: Database) -> None:
    wipe(db)
    for pair_id in _pairs(db, 6):
        _meet(db, pair_id, dt.date(2026, 10, 7), MeetingStatus.MET)
    everything = _period_report(db, "all")  # the current quarter, up to TODAY (Tue 1 Dec)
    assert everything.met_per_week[-1][0] == dt.date(2026, 11, 30)
    assert everything.met_per_week[0][0] == dt.date(2026, 9, 28)
    assert _period_report(db, "2026-12").ongoing and _period_report(db, "2026-Q4").ongoing
    assert not _period_report(db, "2026-11").ongoing
    with db.sessions() as s:
        # On the month's last day, that day is still to come.
        last_day = dt.date(2026, 11, 30)
        november = build_report(
            "T0001", parse_period("2026-11", last_day), session=s, today=last_day
        )
    assert november.ongoing


# ------------------------------------------------- a quarter never gives away one of its months


def _rated(db: Database, pairs: list[int], day: dt.date, rating: int, text: str = "") -> None:
    """Each pair met on `day`, and its mentee rated it (and wrote `text`, if any)."""
    with db.sessions.begin() as s:
        for pair_id in pairs:
            planned = dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC)
            jf = JourFixe(
                pair_id=pair_id, occurrence=day, planned_at=planned, status=MeetingStatus.MET
            )
            s.add(jf)
            s.flush()
            mentee = s.get_one(Pair, pair_id).mentee_id
            poll = Poll(jour_fixe_id=jf.id, participant_id=mentee, team_id="T0001", occurrence=day)
            s.add(poll)
            s.flush()
            s.add(PollAnswer(poll_id=poll.id, rating=rating, learned=text or None))


def test_a_quarter_hides_its_ratings_when_one_month_alone_is_hidden(db: Database) -> None:
    wipe(db)
    many, one = _pairs(db, 6), _pairs(db, 1)
    _rated(db, many, dt.date(2026, 7, 8), 4)
    _rated(db, many, dt.date(2026, 8, 5), 4)
    _rated(db, one, dt.date(2026, 9, 9), 1)  # September: one person, hidden in its report
    assert _report(db, "2026-07").ratings is not None
    assert _report(db, "2026-08").ratings is not None
    assert _report(db, "2026-09").ratings is None
    # Q3 minus July minus August would be September's one rating.
    quarter = _report(db, "2026-Q3")
    assert quarter.respondents == 7 and quarter.ratings is None


def test_a_quarter_shows_months_hidden_together_when_they_hold_k_people(db: Database) -> None:
    wipe(db)
    many, few, others = _pairs(db, 6), _pairs(db, 3), _pairs(db, 3)
    _rated(db, many, dt.date(2026, 7, 8), 4)
    _rated(db, few, dt.date(2026, 8, 5), 2)
    _rated(db, others, dt.date(2026, 9, 9), 1)
    assert _report(db, "2026-08").ratings is None and _report(db, "2026-09").ratings is None
    # Q3 minus July is August and September together: six people.
    quarter = _report(db, "2026-Q3")
    assert quarter.ratings is not None and quarter.ratings.respondents == 12
    # The same three people in both hidden months are not six people.
    wipe(db)
    many, few = _pairs(db, 6), _pairs(db, 3)
    _rated(db, many, dt.date(2026, 7, 8), 4)
    _rated(db, few, dt.date(2026, 8, 5), 2)
    _rated(db, few, dt.date(2026, 9, 9), 1)
    assert _report(db, "2026-Q3").ratings is None


def test_a_quarter_hides_a_department_that_one_of_its_months_hides(db: Database) -> None:
    wipe(db)
    sales, finance, legal = (
        _pairs(db, n, department=d) for n, d in ((7, "Sales"), (8, "Finance"), (6, "Legal"))
    )
    for day in (dt.date(2026, 7, 8), dt.date(2026, 8, 5)):
        _rated(db, sales + finance + legal, day, 4)
    _rated(db, sales + finance[:6], dt.date(2026, 9, 9), 4)
    _rated(db, legal[:1], dt.date(2026, 9, 9), 1)  # one Legal mentee in September
    # September hides Legal, and Finance (six people) so that the rest does not give Legal.
    assert {s.key for s in _report(db, "2026-09").by_department} == {"Sales"}
    quarter = _report(db, "2026-Q3")
    assert quarter.ratings is not None
    # Q3's Legal minus July's and August's would be that one rating; Q3's Finance minus its
    # months would be September's Finance, and with it Legal. Both stay hidden.
    assert {s.key for s in quarter.by_department} == {"Sales"}


def test_a_quarter_shows_no_comments_that_one_month_alone_hides(db: Database) -> None:
    wipe(db)
    many, one = _pairs(db, 10), _pairs(db, 1)
    _rated(db, many, dt.date(2026, 7, 8), 4, text="July was useful")
    _rated(db, one, dt.date(2026, 9, 9), 2, text="my mentor never listens")
    assert "learned" in _report(db, "2026-07").themes
    quarter = _report(db, "2026-Q3")
    assert quarter.comments["learned"] == 11 and "learned" not in quarter.themes
