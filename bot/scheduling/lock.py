"""One scheduler per deployment: a PostgreSQL advisory lock, or a file lock beside SQLite."""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from bot.store.db import Database

log = logging.getLogger(__name__)
# An arbitrary, fixed 64-bit key: "mentorbt" in ASCII.
ADVISORY_KEY = 0x6D656E746F726274


class LeaderLock:
    """Held by at most one process: the advisory lock lives as long as its own connection.

    The scheduler's jobs run in several threads and each asks for the lock: one thread at a
    time, or two of them would open two sessions and the second would find the lock "taken"
    by its own process (and share one connection, which is not thread-safe).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (as far as it knows)."""
        return self._conn is not None or self._file is not None

    def acquire(self) -> bool:
        """Take the lock if it is free, or confirm we still hold it; never blocks on others."""
        with self._guard:
            if self.db.engine.dialect.name == "postgresql":
                return self._acquire_postgres()
            return self._acquire_file()

    def _acquire_postgres(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                # Never sit "idle in transaction": idle_in_transaction_session_timeout would
                # end the session, and the lock with it.
                self._conn.commit()
                return True
            except Exception:
                # The connection died, and the lock with it: another scheduler may hold it now.
                log.warning("Lost the scheduler lock's database connection")
                self._drop_conn()
        conn = self.db.engine.connect()
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            )
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _acquire_file(self) -> bool:
        if self._file is not None:
            return True
        database = make_url(self.db.url).database
        if not database or database == ":memory:":
            return True
        handle = Path(f"{database}.scheduler.lock").open("a")  # noqa: SIM115 - held open
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def _drop_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
            except Exception:
                log.debug("Closing a dead connection failed", exc_info=True)

    def release(self) -> None:
        """Give the lock up (on shutdown), so that a standby scheduler takes over at once."""
        with self._guard:
            self._release()

    def _release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
                self._conn.close()
            except Exception:
                log.debug("Releasing the advisory lock failed", exc_info=True)
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
