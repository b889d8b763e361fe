"""The claim reads the small index of open outbox rows, not the whole (growing) table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, text

from bot.store import outbox
from bot.store.db import Database

NOW = dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC)


def test_the_claim_query_uses_the_open_rows_index(db: Database) -> None:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM outbox" in statement and seen == []:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        outbox.claim(db.sessions, owner="plan", now=NOW, lease=dt.timedelta(seconds=60), limit=10)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    ((statement, params),) = seen
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        cursor: Any = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
        else:
            # An empty table is read whole whatever the indexes: ask what it would use.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            cursor.execute(f"EXPLAIN {statement}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
        conn.rollback()
    assert "ix_outbox_open_due_at" in plan, plan
