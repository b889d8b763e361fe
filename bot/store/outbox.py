"""Claiming and completing outbox rows: leases, fenced updates, and the per-dialect locking.

PostgreSQL: `FOR UPDATE SKIP LOCKED` lets several dispatchers claim disjoint rows at once.
SQLite: SQLAlchemy drops FOR UPDATE there, so the claim runs inside `BEGIN IMMEDIATE`, which
takes the database's write lock before reading. Either way a row is claimed by one owner,
and only that owner (`WHERE lease_owner = me`) can complete it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, literal_column, null, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import session_scope
from bot.store.models import OPEN_OUTBOX_ROWS, Base, Outbox, OutboxStatus, utcnow


def claim(
    sessions: sessionmaker[Session],
    *,
    owner: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
    ids: Sequence[int] | None = None,
) -> list[Outbox]:
    """Lease up to `limit` due rows (or abandoned ones whose lease ran out) to `owner`.

    `now` decides what is due (an operator's `tick --now` may name any instant); leases
    always run on the real clock, so that a crashed run's rows come free after `lease`.
    """
    clock = utcnow()
    due = or_(
        and_(Outbox.status == OutboxStatus.PENDING, Outbox.due_at <= now),
        and_(Outbox.status == OutboxStatus.SENDING, Outbox.lease_until < clock),
    )
    pick = select(Outbox.id).where(OPEN_OUTBOX_ROWS, due)
    if ids is not None:
        pick = pick.where(Outbox.id.in_(list(ids)))
    pick = pick.order_by(Outbox.due_at, Outbox.id).limit(limit).with_for_update(skip_locked=True)
    with session_scope(sessions, immediate=True) as session:
        rows = list(
            session.scalars(
                update(Outbox)
                .where(Outbox.id.in_(pick.scalar_subquery()))
                .values(
                    status=OutboxStatus.SENDING,
                    lease_owner=owner,
                    lease_until=clock + lease,
                    attempts=Outbox.attempts + 1,
                )
                .returning(Outbox)
                .execution_options(synchronize_session=False)
            )
        )
    rows.sort(key=lambda r: (r.due_at, r.id))
    return rows


def _fenced(owner: str, ids: Sequence[int]) -> list[object]:
    return [
        Outbox.id.in_(list(ids)),
        Outbox.lease_owner == owner,
        Outbox.status == OutboxStatus.SENDING,
    ]


def extend(
    sessions: sessionmaker[Session], ids: Sequence[int], *, owner: str, until: dt.datetime
) -> set[int]:
    """Extend our leases; returns the ids still ours (a row taken over is not ours to send)."""
    if not ids:
        return set()
    with session_scope(sessions, immediate=True) as session:
        kept = session.scalars(
            update(Outbox)
            .where(*_fenced(owner, ids))  # type: ignore[arg-type]
            .values(lease_until=until)
            .returning(Outbox.id)
            .execution_options(synchronize_session=False)
        )
        return set(kept)


# The one write per sent message. It runs on the driver's own connection (a psycopg
# prepared statement, or sqlite3's statement cache), without SQLAlchemy's execution
# machinery around it: this is the only database work between two messages, so every
# microsecond is one the sender waits (bench/dispatch, check a). Compiled once from Core,
# so that column names and the dialect's placeholders come from the model.
_OUTBOX: Table = Base.metadata.tables["outbox"]
_MARK_SENT = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("row_id", type_=_OUTBOX.c.id.type),
        _OUTBOX.c.lease_owner == bindparam("owner", type_=_OUTBOX.c.lease_owner.type),
        _OUTBOX.c.status == literal_column(f"'{OutboxStatus.SENDING.value}'"),
    )
    .values(
        status=literal_column(f"'{OutboxStatus.SENT.value}'"),
        sent_at=bindparam("at", type_=_OUTBOX.c.sent_at.type),
        channel_id=bindparam("channel", type_=_OUTBOX.c.channel_id.type),
        message_ts=bindparam("ts", type_=_OUTBOX.c.message_ts.type),
        lease_owner=null(),
        lease_until=null(),
        last_error=null(),
    )
    .returning(_OUTBOX.c.id)
)


def _same(value: Any) -> Any:
    return value


class Marker:
    """Marks sent rows over one driver connection of its own, in autocommit.

    The fenced UPDATE is a single statement, atomic by itself, so it needs no transaction
    around it: one round trip per message. On PostgreSQL the session does not wait for the
    WAL flush: a crash of the bot loses nothing committed; only a crash of the database
    server could forget the last fraction of a second of marks, and those few messages
    would be sent again.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw: Any = None
        self._cur: Any = None
        dialect = engine.dialect
        compiled = _MARK_SENT.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self._sql = str(compiled)
        self._order = list(compiled.positiontup or [])
        self._at = _OUTBOX.c.sent_at.type.bind_processor(dialect) or _same
        self._postgres = dialect.name == "postgresql"

    def _cursor(self) -> Any:
        # One connection and one cursor for the whole run: a new psycopg cursor per message
        # costs a quarter of the mark's client CPU, and text-format parameters another fifth.
        if self._raw is None:
            raw = self.engine.raw_connection()
            driver: Any = raw.driver_connection
            raw.detach()  # never handed back to the pool in autocommit
            try:
                if self._postgres:
                    driver.autocommit = True
                    driver.execute("SET synchronous_commit TO OFF")
                    self._cur = driver.cursor(binary=True)
                else:
                    driver.isolation_level = None  # sqlite3: autocommit
                    self._cur = driver.cursor()
            except BaseException:
                driver.close()  # detached: nobody else would close it
                raise
            self._raw = driver
        return self._cur

    def mark_sent(
        self,
        row_id: int,
        *,
        owner: str,
        now: dt.datetime,
        channel_id: str | None,
        message_ts: str | None,
    ) -> bool:
        """Complete a row we sent; False if the lease was no longer ours."""
        values = {
            "row_id": row_id,
            "owner": owner,
            "at": self._at(now),
            "channel": channel_id,
            "ts": message_ts,
        }
        params: Any = [values[k] for k in self._order] if self._order else values
        try:
            done = self._execute(params)
        except self._errors():
            # A dropped connection: once more on a fresh one (the update is idempotent).
            self.close()
            done = self._execute(params)
        return done is not None

    def _execute(self, params: Any) -> Any:
        cursor = self._cursor()
        if self._postgres:
            cursor.execute(self._sql, params, prepare=True)
        else:
            cursor.execute(self._sql, params)
        return cursor.fetchone()

    def _errors(self) -> type[Exception]:
        error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        return error

    def close(self) -> None:
        """Close the connection."""
        raw, self._raw, self._cur = self._raw, None, None
        if raw is not None:
            raw.close()


def finish(
    sessions: sessionmaker[Session],
    decisions: dict[int, tuple[OutboxStatus, str | None]],
    *,
    owner: str,
) -> None:
    """Close rows we will not send (missed, cancelled, failed), with the reason."""
    if not decisions:
        return
    with session_scope(sessions, immediate=True) as session:
        for row_id, (status, reason) in decisions.items():
            session.execute(
                update(Outbox)
                .where(*_fenced(owner, [row_id]))  # type: ignore[arg-type]
                .values(status=status, last_error=reason, lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )


def release(
    sessions: sessionmaker[Session],
    ids: Sequence[int],
    *,
    owner: str,
    due: dt.datetime | None = None,
    reason: str | None = None,
    refund_attempt: bool = False,
) -> None:
    """Give rows back to the queue (to retry later, or because we are shutting down)."""
    if not ids:
        return
    values: dict[str, object] = {
        "status": OutboxStatus.PENDING,
        "lease_owner": None,
        "lease_until": None,
    }
    if due is not None:
        values["due_at"] = due
    if reason is not None:
        values["last_error"] = reason
    if refund_attempt:
        # A 429 or a shutdown is not the message's fault: it does not use up an attempt.
        values["attempts"] = Outbox.attempts - 1
    with session_scope(sessions, immediate=True) as session:
        session.execute(
            update(Outbox)
            .where(*_fenced(owner, ids))  # type: ignore[arg-type]
            .values(**values)
            .execution_options(synchronize_session=False)
        )
