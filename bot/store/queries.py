"""Small queries that need dialect-specific SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models import ProcessedEvent, utcnow

EVENT_MEMORY = dt.timedelta(days=2)


def dialect_insert(session: Session) -> Any:
    """`insert` of the session's dialect, for ON CONFLICT clauses (PostgreSQL or SQLite)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim_event(event_id: str, *, session: Session) -> bool:
    """Record an event id; True only for the first caller, so retries are processed once."""
    stmt = (
        dialect_insert(session)(ProcessedEvent)
        .values(event_id=event_id, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: psycopg reports -1 for this statement through the ORM.
        .returning(ProcessedEvent.event_id)
    )
    return session.execute(stmt).scalar() is not None


def forget_old_events(*, session: Session, now: dt.datetime | None = None) -> int:
    """Drop event ids older than Slack's retry horizon (hours), keeping the table small."""
    cutoff = (now or utcnow()) - EVENT_MEMORY
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
