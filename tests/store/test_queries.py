"""Dialect-specific queries behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
