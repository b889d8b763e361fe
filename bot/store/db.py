"""Engine creation and the unit-of-work session scope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings this bot relies on.

    `foreign_keys=False` is for migrations on SQLite only: a batch migration rebuilds a
    table by copying it and dropping the old one, and with foreign keys on, that drop would
    cascade into every table that points at it (SQLite's own advice for ALTER TABLE).
    """
    # SQLAlchemy puts a failed statement's parameters into its error message, which ends up
    # in the logs: those parameters can be someone's free-text feedback.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # SQLite ignores foreign keys unless asked, and WAL lets the web
            # threads read while the scheduler writes.
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL is still safe against a crash of the bot; only a power
                # cut or OS crash could lose the last commits. FULL syncs on every commit,
                # which made each "sent" mark of the dispatcher wait for the disk.
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """An engine plus its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> bool:
        """True while the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@contextmanager
def session_scope(sessions: sessionmaker[Session], *, immediate: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `immediate`: on SQLite, take the write lock before the first read (`BEGIN IMMEDIATE`),
    since SQLAlchemy drops FOR UPDATE there; elsewhere it changes nothing.
    """
    session = sessions()
    try:
        if immediate and session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_snapshot(sessions: sessionmaker[Session], count: int) -> Iterator[list[Session]]:
    """`count` read-only sessions that all see one and the same snapshot of the database.

    On PostgreSQL each runs on a connection of its own (so that threads can query at the
    same time): the first exports its REPEATABLE READ snapshot and the others adopt it.
    SQLite cannot share a snapshot between connections: there one session, in one read
    transaction, is handed out `count` times, and the caller must use it from one thread.
    """
    first = sessions()
    opened = [first]
    try:
        dialect = first.get_bind().dialect.name
        if dialect == "sqlite":
            # The sqlite3 module starts no transaction for reads: each SELECT would see the
            # latest commit. An explicit one keeps the first read's snapshot (WAL) to the end.
            first.connection().exec_driver_sql("BEGIN")
        if dialect != "postgresql":
            yield [first] * count
            return
        first.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        snapshot = str(first.execute(text("SELECT pg_export_snapshot()")).scalar_one())
        if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # SET takes no bound parameters
            raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
        for _ in range(count - 1):
            other = sessions()
            opened.append(other)
            other.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
            other.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        yield opened
    finally:
        with ExitStack() as closing:
            for session in opened:
                closing.callback(session.close)  # every one, even if a rollback fails
                closing.callback(session.rollback)
