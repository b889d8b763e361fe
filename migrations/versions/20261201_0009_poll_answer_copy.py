"""poll keeps a copy of its answer's rating and of which text fields hold text

A report reads a million polls; joining each with its answer cost most of its time. The
copy is kept by triggers on poll_answer, so that every path that writes an answer (the
bot, the retention purge, an operator's SQL) keeps it right.

On SQLite, a later batch migration that rebuilds `poll_answer` drops these triggers, and
one that rebuilds `poll` fails on them: such a migration must drop and re-create them
around the rebuild (tests/store/test_poll_answer_copy.py fails at head if they are gone).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Bit i is set when the i-th text field holds text (bot.store.models.ANSWER_TEXT_FIELDS).
FIELDS = ("learned", "try_next", "keep", "stop", "start")


def _texts(row: str) -> str:
    return " | ".join(
        f"(CASE WHEN length({row}.{name}) > 0 THEN {1 << i} ELSE 0 END)"
        for i, name in enumerate(FIELDS)
    )


COPY = "answer_rating = {row}.rating, answer_texts = {texts}"
CLEAR = "UPDATE poll SET answer_rating = NULL, answer_texts = 0 WHERE id = OLD.poll_id"


def upgrade() -> None:
    op.add_column("poll", sa.Column("answer_rating", sa.SmallInteger(), nullable=True))
    op.add_column(
        "poll",
        sa.Column("answer_texts", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE poll SET"
        " answer_rating = (SELECT a.rating FROM poll_answer a WHERE a.poll_id = poll.id),"
        f" answer_texts = coalesce((SELECT {_texts('a')} FROM poll_answer a"
        " WHERE a.poll_id = poll.id), 0)"
    )
    copy = COPY.format(row="NEW", texts=_texts("NEW"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION poll_answer_copy() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP = 'DELETE' THEN\n"
            f"    {CLEAR};\n"
            "    RETURN OLD;\n"
            "  END IF;\n"
            f"  UPDATE poll SET {copy} WHERE id = NEW.poll_id;\n"
            "  RETURN NEW;\n"
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER poll_answer_copy AFTER INSERT OR UPDATE OR DELETE ON poll_answer"
            " FOR EACH ROW EXECUTE FUNCTION poll_answer_copy()"
        )
    else:
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER poll_answer_copy_{event.lower()} AFTER {event} ON poll_answer"
                f" BEGIN UPDATE poll SET {copy} WHERE id = NEW.poll_id; END"
            )
        op.execute(
            f"CREATE TRIGGER poll_answer_copy_delete AFTER DELETE ON poll_answer BEGIN {CLEAR}; END"
        )
    # The report reads the period's polls from the index alone.
    op.drop_index("ix_poll_team_id_occurrence", table_name="poll")
    op.create_index(
        "ix_poll_team_id_occurrence",
        "poll",
        ["team_id", "occurrence"],
        postgresql_include=["id", "participant_id", "answer_rating", "answer_texts"],
    )
    op.create_index(
        "ix_poll_participant_id_occurrence",
        "poll",
        ["participant_id", "occurrence"],
        postgresql_include=["answer_rating"],
    )
    op.create_index(
        "ix_poll_with_text",
        "poll",
        ["team_id", "occurrence"],
        postgresql_include=["id", "answer_texts"],
        postgresql_where=sa.text("answer_texts <> 0"),
        sqlite_where=sa.text("answer_texts <> 0"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER poll_answer_copy ON poll_answer")
        op.execute("DROP FUNCTION poll_answer_copy()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER poll_answer_copy_{event}")
    op.drop_index("ix_poll_with_text", table_name="poll")
    op.drop_index("ix_poll_participant_id_occurrence", table_name="poll")
    op.drop_index("ix_poll_team_id_occurrence", table_name="poll")
    op.create_index("ix_poll_team_id_occurrence", "poll", ["team_id", "occurrence"])
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("answer_texts")
        batch_op.drop_column("answer_rating")
