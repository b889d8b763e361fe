"""HR reports: periods, k-anonymity that survives differencing, and SQL aggregates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from bot.sandbox.databases import wipe
from bot.services import reports
from bot.services.reports import PeriodError, build_report, parse_period, suppress
from bot.store.db import Database, read_snapshot
from bot.store.models import (
    JourFixe,
    MeetingStatus,
    Pair,
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
    assert report.met_per_week == [(dt.date(2026, 10, 5), 10)]
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
    text = reports.csv_text(report, {})
    assert "department:Legal" not in text
    assert "satisfaction,department:other,average,suppressed" in text
    assert text.splitlines()[0] == "section,slice,figure,value"


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
