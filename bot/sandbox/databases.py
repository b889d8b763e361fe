"""Throwaway databases for tests, benchmarks and demos: a scratch PostgreSQL database, a wipe."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.store.db import Database
from bot.store.models import Base

# Reference data the app syncs itself (the skill catalog); a wipe keeps it.
REFERENCE_TABLES = frozenset({"skill", "skill_label"})


@contextlib.contextmanager
def scratch_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database `<prefix>_<pid>_<hex>` on that server, dropped afterwards."""
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wipe(db: Database) -> None:
    """Delete every row but the reference data."""
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
