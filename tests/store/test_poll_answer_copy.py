"""Polls carry a copy of their answer (rating, which text fields hold text) for reports.

Triggers keep it, so every path that writes an answer must leave poll and answer agreeing:
the bot's rating and thought upserts, the retention purge, a deleted answer, and the
migration that introduced the copy for answers already stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, text

from bot.services.feedback import Thought, record_rating, save_thought
from bot.services.privacy import purge_old_feedback_text
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import ANSWER_TEXT_FIELDS, Poll, PollAnswer
from tests.helpers import ONE_PAIR_WITH_A_JOUR_FIXE_SQL, add_polls, make_pair, upgrade_with_rows

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def _poll(db: Database, team: str, mentee: str) -> int:
    pair_id = make_pair(db, team=team, mentor=f"{mentee}M", mentee=mentee)
    (poll_id,) = add_polls(db, pair_id, dt.date(2026, 1, 14), [mentee])
    return poll_id


def _copy(db: Database, poll_id: int) -> tuple[int | None, int]:
    with db.sessions() as s:
        row = s.execute(
            select(Poll.answer_rating, Poll.answer_texts).where(Poll.id == poll_id)
        ).one()
        return row[0], row[1]


def _bits(*names: str) -> int:
    return sum(1 << ANSWER_TEXT_FIELDS.index(n) for n in names)


def test_every_write_of_an_answer_updates_the_copy_on_its_poll(db: Database) -> None:
    poll_id = _poll(db, "TCOPY1", "UCOPY1")
    assert _copy(db, poll_id) == (None, 0)
    with db.sessions.begin() as s:
        record_rating(s.get_one(Poll, poll_id), 4, session=s, now=NOW)
    assert _copy(db, poll_id) == (4, 0)
    with db.sessions.begin() as s:
        record_rating(s.get_one(Poll, poll_id), 2, session=s, now=NOW)
    assert _copy(db, poll_id) == (2, 0)
    with db.sessions.begin() as s:
        thought = Thought(learned="shortcuts", keep="the pace", start="  ")
        save_thought(s.get_one(Poll, poll_id), thought, session=s, now=NOW)
    assert _copy(db, poll_id) == (2, _bits("learned", "keep"))
    with db.sessions.begin() as s:
        save_thought(s.get_one(Poll, poll_id), Thought(stop="meetings"), session=s, now=NOW)
    assert _copy(db, poll_id) == (2, _bits("stop"))
    # The retention purge removes the text: the copy no longer says there is any.
    with db.sessions.begin() as s:
        assert purge_old_feedback_text(session=s, now=NOW, retention_days=30) >= 1
    assert _copy(db, poll_id) == (2, 0)
    with db.sessions.begin() as s:
        s.execute(delete(PollAnswer).where(PollAnswer.poll_id == poll_id))
    assert _copy(db, poll_id) == (None, 0)


def test_the_migration_copies_answers_stored_before_it(empty_database_url: str) -> None:
    engine = upgrade_with_rows(
        empty_database_url,
        "0008",
        (
            *ONE_PAIR_WITH_A_JOUR_FIXE_SQL,
            "INSERT INTO poll (id, jour_fixe_id, participant_id, team_id, occurrence, created_at)"
            " VALUES (1, 1, 1, 'T9', '2026-10-07', CURRENT_TIMESTAMP),"
            " (2, 1, 2, 'T9', '2026-10-07', CURRENT_TIMESTAMP)",
            "INSERT INTO poll_answer (poll_id, rating, try_next, start, answered_at, updated_at)"
            " VALUES (2, 3, 'video', 'demos', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ),
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, answer_rating, answer_texts FROM poll ORDER BY id")
        ).all()
    # And back down: the triggers and columns go again, and no answer with them (on SQLite
    # the columns go by rebuilding the table, which must not cascade into the answers).
    migrate.downgrade(empty_database_url, "0008")
    with engine.begin() as conn:
        conn.execute(text("UPDATE poll_answer SET rating = 5 WHERE poll_id = 2"))
        answers = conn.execute(text("SELECT poll_id, rating, start FROM poll_answer")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, None, 0), (2, 3, _bits("try_next", "start"))]
    assert [tuple(a) for a in answers] == [(2, 5, "demos")]
