"""Migrations are the only way the schema is made, so they must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store import migrate
from bot.store.db import make_engine
from bot.store.models import Base
from tests.helpers import ONE_PAIR_WITH_A_JOUR_FIXE_SQL, upgrade_with_rows

TABLES = set(Base.metadata.tables)


def test_upgrade_from_empty_to_head_and_back_down(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(empty_database_url)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        migrate.downgrade(empty_database_url, "base")
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        migrate.upgrade(empty_database_url)
        assert migrate.pending_message(engine) is None
    finally:
        engine.dispose()


def test_autogenerate_finds_no_drift_between_models_and_migrations(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_an_outdated_schema_is_explained_in_one_sentence(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        message = migrate.pending_message(engine)
        assert message is not None
        assert "empty" in message and "mentor-bot migrate" in message
    finally:
        engine.dispose()


def test_polls_of_an_older_schema_get_their_workspace_and_date(empty_database_url: str) -> None:
    engine = upgrade_with_rows(
        empty_database_url,
        "0004",
        (
            *ONE_PAIR_WITH_A_JOUR_FIXE_SQL,
            "INSERT INTO poll (id, jour_fixe_id, participant_id, created_at) VALUES"
            " (1, 1, 2, CURRENT_TIMESTAMP)",
            "INSERT INTO poll_answer (poll_id, rating, answered_at, updated_at) VALUES"
            " (1, 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ),
    )
    with engine.connect() as conn:
        row = conn.execute(text("SELECT team_id, occurrence FROM poll")).one()
        answers = conn.execute(text("SELECT poll_id, rating FROM poll_answer")).all()
    engine.dispose()
    assert (row[0], str(row[1])) == ("T9", "2026-10-07")
    # On SQLite 0005 rebuilds the poll table: its answers must survive that.
    assert [tuple(a) for a in answers] == [(1, 4)]
