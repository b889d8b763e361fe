"""poll_rollup: polls, ratings and comments per workspace, day, role and department

A report adds up a period's polls per (role, department): a million polls joined with
their people took most of its time. These sums are kept by triggers, so every path that
writes a poll, its answer (through the copy of migration 0009) or a person's role or
department keeps them exact: a person who changes department takes their polls along.
Reports still count respondents from the polls themselves (people do not add up).

On SQLite, a later batch migration that rebuilds `poll` or `participant` must drop and
re-create these triggers around the rebuild (tests/store/test_poll_rollup.py fails at head
if they are gone).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("team_id", "day", "role", "department")
RATINGS = tuple(f"r{n}" for n in range(1, 6))
# Bit i of poll.answer_texts: text field i holds text (migration 0009).
TEXTS = tuple(f"t{i + 1}" for i in range(5))
SUMS = ("polls", *RATINGS, *TEXTS)

UPSERT = (
    f"INSERT INTO poll_rollup ({', '.join(KEY + SUMS)}) {{rows}}"
    f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = poll_rollup.{c} + excluded.{c}" for c in SUMS)
)


def _deltas(row: str, sign: int, *, summed: bool) -> str:
    """The SUMS columns for poll `row` (NEW, OLD or an alias), each `sign` or 0; `summed`
    adds them up over a GROUP BY."""
    each = [
        f"CASE WHEN {row}.answer_rating = {n} THEN {sign} ELSE 0 END" for n in range(1, 6)
    ] + [f"CASE WHEN ({row}.answer_texts & {1 << i}) <> 0 THEN {sign} ELSE 0 END" for i in range(5)]
    if not summed:
        return ", ".join([str(sign), *each])
    return ", ".join([f"{sign} * count(*)", *(f"sum({e})" for e in each)])


def _one_poll(row: str, sign: int) -> str:
    """The rollup delta of one poll row (NEW or OLD), in its person's cell as of now."""
    return UPSERT.format(
        rows=f"SELECT {row}.team_id, {row}.occurrence, p.role, coalesce(p.department, ''),"
        f" {_deltas(row, sign, summed=False)}"
        f" FROM participant p WHERE p.id = {row}.participant_id"
    )


def _person_moves(row: str, sign: int) -> str:
    """The rollup delta of all of one person's polls, in the cell of `row` (OLD or NEW)."""
    return UPSERT.format(
        rows=f"SELECT q.team_id, q.occurrence, {row}.role, coalesce({row}.department, ''),"
        f" {_deltas('q', sign, summed=True)}"
        f" FROM poll q WHERE q.participant_id = {row}.id GROUP BY q.team_id, q.occurrence"
    )


POLL_COLUMNS = "team_id, occurrence, participant_id, answer_rating, answer_texts"
MOVED = "OLD.role IS DISTINCT FROM NEW.role OR OLD.department IS DISTINCT FROM NEW.department"


def upgrade() -> None:
    op.create_table(
        "poll_rollup",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=80), nullable=False),
        *(sa.Column(c, sa.Integer(), server_default="0", nullable=False) for c in SUMS),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_poll_rollup")),
    )
    # The polls stored before this migration, each in its person's cell.
    op.execute(
        UPSERT.format(
            rows="SELECT q.team_id, q.occurrence, p.role, coalesce(p.department, ''),"
            f" {_deltas('q', 1, summed=True)}"
            " FROM poll q JOIN participant p ON p.id = q.participant_id WHERE true"
            " GROUP BY q.team_id, q.occurrence, p.role, coalesce(p.department, '')"
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION poll_rollup_poll() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
            f"    {_one_poll('OLD', -1)};\n"
            "  END IF;\n"
            "  IF TG_OP IN ('UPDATE', 'INSERT') THEN\n"
            f"    {_one_poll('NEW', 1)};\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER poll_rollup_poll AFTER INSERT OR DELETE"
            f" OR UPDATE OF {POLL_COLUMNS} ON poll"
            " FOR EACH ROW EXECUTE FUNCTION poll_rollup_poll()"
        )
        op.execute(
            "CREATE FUNCTION poll_rollup_person() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  {_person_moves('OLD', -1)};\n"
            f"  {_person_moves('NEW', 1)};\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER poll_rollup_person AFTER UPDATE OF role, department ON participant"
            f" FOR EACH ROW WHEN ({MOVED}) EXECUTE FUNCTION poll_rollup_person()"
        )
        # A person deleted outright (not erased by the bot): their polls go first, while
        # their cell is still known, so that the sums lose them too.
        op.execute(
            "CREATE FUNCTION poll_rollup_person_gone() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  DELETE FROM poll WHERE participant_id = OLD.id;\n"
            "  RETURN OLD;\n"
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER poll_rollup_person_gone BEFORE DELETE ON participant"
            " FOR EACH ROW EXECUTE FUNCTION poll_rollup_person_gone()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER poll_rollup_insert AFTER INSERT ON poll BEGIN {_one_poll('NEW', 1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER poll_rollup_delete AFTER DELETE ON poll BEGIN {_one_poll('OLD', -1)}; END"
        )
        op.execute(
            f"CREATE TRIGGER poll_rollup_update AFTER UPDATE OF {POLL_COLUMNS} ON poll"
            f" BEGIN {_one_poll('OLD', -1)}; {_one_poll('NEW', 1)}; END"
        )
        op.execute(
            "CREATE TRIGGER poll_rollup_person AFTER UPDATE OF role, department ON participant"
            " WHEN OLD.role IS NOT NEW.role OR OLD.department IS NOT NEW.department"
            f" BEGIN {_person_moves('OLD', -1)}; {_person_moves('NEW', 1)}; END"
        )
        op.execute(
            "CREATE TRIGGER poll_rollup_person_gone BEFORE DELETE ON participant"
            " BEGIN DELETE FROM poll WHERE participant_id = OLD.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER poll_rollup_person_gone ON participant")
        op.execute("DROP TRIGGER poll_rollup_person ON participant")
        op.execute("DROP TRIGGER poll_rollup_poll ON poll")
        for name in ("poll_rollup_person_gone", "poll_rollup_person", "poll_rollup_poll"):
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in (
            "poll_rollup_person_gone",
            "poll_rollup_person",
            "poll_rollup_update",
            "poll_rollup_delete",
            "poll_rollup_insert",
        ):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("poll_rollup")
