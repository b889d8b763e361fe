"""What every benchmark needs: a scratch database of either kind, migrated, and bulk inserts."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

import sqlalchemy
from sqlalchemy import JSON, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from bot.sandbox.databases import scratch_postgres
from bot.services.catalog import load_catalog, migrate_and_sync
from bot.store.models import Base

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEAM = "T0001"
TOKEN = "xoxb-bench-token"  # noqa: S105 - the stand-in's token
CHUNK = 20_000


@contextlib.contextmanager
def scratch_database(kind: str, pg_url: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        migrate_and_sync(url, load_catalog())
        yield url
        return
    with scratch_postgres(pg_url, "mentor_bench") as url:
        migrate_and_sync(url, load_catalog())
        yield url


def insert_chunked(conn: sqlalchemy.Connection, model: type[Base], rows: list[dict]) -> None:
    """Core inserts in chunks; on PostgreSQL one array per column (psycopg parses long
    multi-row VALUES statements anew for every batch, which is slow)."""
    table = Base.metadata.tables[model.__tablename__]
    columns = list(rows[0]) if rows else []
    # JSON goes as text: a list inside a JSON value would read as another array dimension.
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    unnested = select(
        *[
            cast(
                func.unnest(bindparam(c, type_=ARRAY(Text() if c in as_json else table.c[c].type))),
                table.c[c].type,
            )
            for c in columns
        ]
    )
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if conn.dialect.name == "postgresql":
            values = {
                c: [json.dumps(r[c]) for r in chunk] if c in as_json else [r[c] for r in chunk]
                for c in columns
            }
            conn.execute(insert(table).from_select(columns, unnested), values)
        else:
            conn.execute(insert(table), chunk)


# --------------------------------------------------------------------------- the stand-in


def _stand_in(conn: Connection) -> None:
    """The child process: serve FakeSlack and answer the parent's commands over a pipe."""
    from bot.sandbox import FakeSlack, SlackUser

    fake = FakeSlack(team_id=TEAM, bot_token=TOKEN).start()
    conn.send(fake.api_url)
    while True:
        command, args = conn.recv()
        if command == "stop":
            break
        if command == "users":
            channels = {}
            for user_id in args:
                fake.add_user(SlackUser(id=user_id, name=user_id.lower(), tz="Europe/Berlin"))
                channels[user_id] = fake.dm_channel_id(user_id)
            conn.send(channels)
        elif command == "response_urls":
            user_id, count = args
            conn.send([fake.response_url("commands", user_id=user_id) for _ in range(count)])
        elif command == "reset":
            fake.reset()
            conn.send(None)
        elif command == "limit":
            method, per_second, burst = args
            fake.set_rate_limit(method, per_second, burst=burst)
            conn.send(None)
        elif command == "faults":
            rate, statuses, retry_after, seed = args
            fake.inject_faults(rate, statuses=statuses, retry_after=retry_after, seed=seed)
            conn.send(None)
        elif command == "report":
            posts = [
                (str(c.args.get("channel")), str(c.args.get("text")))
                for c in fake.calls_to("chat.postMessage")
                if c.response.get("ok")
            ]
            conn.send(
                {
                    "posts": posts,
                    "injected": dict(fake.injected_faults),
                    "rate_limited": dict(fake.rate_limited),
                    "violations": list(fake.violations[:5]),
                    "violation_count": len(fake.violations),
                }
            )
    fake.stop()


class StandIn:
    """The parent's handle on the stand-in process."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_stand_in, args=(child,), daemon=True)
        self._proc.start()
        self.api_url: str = self._conn.recv()

    def ask(self, command: str, args: object = None) -> Any:
        """Send one command and wait for its answer."""
        self._conn.send((command, args))
        return self._conn.recv() if command != "stop" else None

    def close(self) -> None:
        """Stop the stand-in and its process."""
        with contextlib.suppress(OSError, EOFError):
            self.ask("stop")
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
