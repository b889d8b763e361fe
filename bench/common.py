"""What every benchmark needs: a scratch database of either kind, migrated, and bulk inserts."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy
from sqlalchemy import JSON, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from bot.sandbox.databases import scratch_postgres
from bot.services.catalog import load_catalog, migrate_and_sync
from bot.store.models import Base

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
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
