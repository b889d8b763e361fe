"""poll_rollup stays equal to the sums of the polls it is made of, whatever writes them.

Triggers keep it (migration 0010). After every kind of write, the rollup is compared with
the same sums computed from poll and participant directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, text

from bot.sandbox.databases import wipe
from bot.services import enrollment
from bot.services.feedback import Thought, record_rating, save_thought
from bot.services.privacy import purge_old_feedback_text
from bot.store.db import Database
from bot.store.models import (
    ANSWER_TEXT_FIELDS,
    Participant,
    Poll,
    PollAnswer,
    PollRollup,
)
from tests.helpers import ONE_PAIR_WITH_A_JOUR_FIXE_SQL, add_polls, make_pair, upgrade_with_rows

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
DAYS = (dt.date(2026, 1, 14), dt.date(2026, 10, 7), dt.date(2026, 10, 14))


def _expected(db: Database) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The sums straight from the polls, in each person's current cell."""
    rating, texts = Poll.answer_rating, Poll.answer_texts
    columns = [
        func.count(),
        *(func.count().filter(rating == n) for n in range(1, 6)),
        *(func.count().filter(texts.op("&")(1 << i) != 0) for i in range(5)),
    ]
    department = func.coalesce(Participant.department, "")
    with db.sessions() as s:
        rows = s.execute(
            select(Poll.team_id, Poll.occurrence, Participant.role, department, *columns)
            .join(Participant, Participant.id == Poll.participant_id)
            .group_by(Poll.team_id, Poll.occurrence, Participant.role, department)
        ).all()
    return {
        (str(t), d, str(r), str(dep)): tuple(int(v) for v in rest) for t, d, r, dep, *rest in rows
    }


def _rollup(db: Database) -> dict[tuple[Any, ...], tuple[int, ...]]:
    sums = ["polls", "r1", "r2", "r3", "r4", "r5", "t1", "t2", "t3", "t4", "t5"]
    with db.sessions() as s:
        rows = s.execute(
            select(
                PollRollup.team_id,
                PollRollup.day,
                PollRollup.role,
                PollRollup.department,
                *(getattr(PollRollup, c) for c in sums),
            )
        ).all()
    # Cells whose polls all went elsewhere stay behind as zeros: no figure, no slice.
    return {
        (t, d, r, dep): tuple(rest) for t, d, r, dep, *rest in rows if any(v != 0 for v in rest)
    }


def _same(db: Database) -> None:
    assert _rollup(db) == _expected(db)


def _polls(db: Database, team: str, mentor: str, mentee: str) -> list[int]:
    """A pair with a jour fixe on each of DAYS and a poll for both members of each."""
    pair_id = make_pair(db, team=team, mentor=mentor, mentee=mentee)
    return [i for day in DAYS for i in add_polls(db, pair_id, day, [mentor, mentee])]


def test_the_rollup_follows_every_write_of_polls_answers_and_people(db: Database) -> None:
    wipe(db)
    first = _polls(db, "TROLL", "URM1", "URE1")
    second = _polls(db, "TROLL", "URM2", "URE2")
    _polls(db, "TROLL2", "URM3", "URE3")
    _same(db)
    assert sum(v[0] for v in _rollup(db).values()) == 18
    with db.sessions.begin() as s:
        for n, poll_id in enumerate(first + second[:5]):
            record_rating(s.get_one(Poll, poll_id), n % 5 + 1, session=s, now=NOW)
    _same(db)
    with db.sessions.begin() as s:
        record_rating(s.get_one(Poll, first[0]), 2, session=s, now=NOW)  # a changed answer
        save_thought(s.get_one(Poll, first[1]), Thought(learned="x", start="y"), session=s, now=NOW)
        save_thought(s.get_one(Poll, second[2]), Thought(keep="z"), session=s, now=NOW)
        s.add(PollAnswer(poll_id=second[5], rating=4, stop="w"))  # written past the service
    _same(db)
    assert any(v[6 + ANSWER_TEXT_FIELDS.index("start")] for v in _rollup(db).values())
    # A person changes department, then role: their polls move along.
    with db.sessions.begin() as s:
        person = s.scalar(select(Participant).where(Participant.slack_user_id == "URE1"))
        assert person is not None
        person.department = "Moved here"
    _same(db)
    with db.sessions.begin() as s:
        person = s.scalar(select(Participant).where(Participant.slack_user_id == "URE1"))
        assert person is not None
        person.department = None
    _same(db)
    # The retention purge takes the old text out; a deleted answer takes its rating out.
    with db.sessions.begin() as s:
        assert purge_old_feedback_text(session=s, now=NOW, retention_days=30) >= 1
        s.execute(delete(PollAnswer).where(PollAnswer.poll_id == first[3]))
        s.execute(delete(Poll).where(Poll.id == second[4]))
    _same(db)
    # Leaving erases the person's polls, but not their anonymous share of the sums: no sum
    # changes, so reports before and after do not differ by their ratings.
    before = _rollup(db)
    with db.sessions.begin() as s:
        assert enrollment.leave(session=s, team_id="TROLL", user_id="URM1", now=NOW)
    assert _rollup(db) == before
    left = {cell: _minus(sums, _expected(db).get(cell)) for cell, sums in before.items()}
    left = {cell: sums for cell, sums in left.items() if any(sums)}
    assert left and all(cell[2:] == ("mentor", "Dept mentor") for cell in left)
    # An outright delete takes everything of theirs.
    with db.sessions.begin() as s:
        s.execute(delete(Participant).where(Participant.slack_user_id == "URE2"))
    expected = _expected(db)
    assert _rollup(db) == {
        cell: _minus(expected.get(cell), left.get(cell), sign=-1)
        for cell in expected.keys() | left.keys()
    }
    with db.sessions() as s:
        polls = s.scalar(select(func.count()).select_from(Poll))
    assert sum(v[0] for v in _rollup(db).values()) == polls + sum(v[0] for v in left.values())


def _minus(
    a: tuple[int, ...] | None, b: tuple[int, ...] | None, *, sign: int = 1
) -> tuple[int, ...]:
    """a - b (or a + b with sign=-1), a missing cell being zeros."""
    a, b = a or (0,) * 11, b or (0,) * 11
    return tuple(x - sign * y for x, y in zip(a, b, strict=True))


def test_the_migration_sums_the_polls_stored_before_it(empty_database_url: str) -> None:
    engine = upgrade_with_rows(
        empty_database_url,
        "0009",
        (
            *ONE_PAIR_WITH_A_JOUR_FIXE_SQL,
            "UPDATE participant SET department = 'Sales' WHERE id = 2",
            "INSERT INTO poll (id, jour_fixe_id, participant_id, team_id, occurrence, created_at)"
            " VALUES (1, 1, 1, 'T9', '2026-10-07', CURRENT_TIMESTAMP),"
            " (2, 1, 2, 'T9', '2026-10-07', CURRENT_TIMESTAMP)",
            "INSERT INTO poll_answer (poll_id, rating, keep, answered_at, updated_at)"
            " VALUES (2, 5, 'demos', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ),
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT role, department, polls, r5, t3 FROM poll_rollup"
                " WHERE team_id = 'T9' ORDER BY role"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("mentee", "Sales", 1, 1, 1), ("mentor", "", 1, 0, 0)]
