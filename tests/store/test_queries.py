"""Dialect-specific queries behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.db import Database
from bot.store.models import ProcessedEvent
from bot.store.queries import claim_event, forget_old_events


def test_an_event_id_is_claimed_only_once(session: Session) -> None:
    assert claim_event("Ev001", session=session) is True
    assert claim_event("Ev001", session=session) is False
    assert claim_event("Ev002", session=session) is True
    session.commit()
    assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


def test_old_event_ids_are_forgotten(session: Session) -> None:
    claim_event("Ev-old", session=session)
    session.commit()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert forget_old_events(session=session, now=later) == 1
    assert claim_event("Ev-old", session=session) is True


def test_a_failed_statement_never_shows_its_parameters(db: Database) -> None:
    """SQLAlchemy's error text goes into the logs; parameters can be someone's feedback."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with db.engine.connect() as conn, pytest.raises(DBAPIError) as failed:
        conn.execute(
            text("SELECT no_such_column FROM poll_answer WHERE learned = :x"),
            {"x": "Zebra-feedback"},
        )
    assert "Zebra" not in str(failed.value)
    assert "hidden" in str(failed.value)
