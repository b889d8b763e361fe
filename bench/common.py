"""What every benchmark needs: a scratch database of either kind, migrated, and bulk inserts."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy
from sqlalchemy import JSON, Text, bindparam, cast, create_engine, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url

from bot.services.catalog import load_catalog, sync_catalog
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import Base

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REFERENCE_TABLES = {"skill", "skill_label"}
CHUNK = 20_000


@contextlib.contextmanager
def scratch_database(kind: str, pg_url: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        _migrate(url)
        yield url
        return
    base = make_url(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"mentor_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    """What `mentor-bot migrate` does: the schema, then the shipped skill catalog."""
    migrate.upgrade(url)
    db = Database(url)
    with db.sessions.begin() as session:
        sync_catalog(load_catalog(), session=session)
    db.dispose()


def wipe(db: Database) -> None:
    """Delete everything but the skill catalog."""
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())


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
