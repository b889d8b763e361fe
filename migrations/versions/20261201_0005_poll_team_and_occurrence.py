"""poll keeps its workspace and jour-fixe date, so reports read polls without joins

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("occurrence", sa.Date(), nullable=True))
    # Both are facts of the jour fixe the poll is about, and never change.
    op.execute(
        "UPDATE poll SET"
        " occurrence = (SELECT jour_fixe.occurrence FROM jour_fixe"
        " WHERE jour_fixe.id = poll.jour_fixe_id),"
        " team_id = (SELECT pair.team_id FROM jour_fixe JOIN pair ON pair.id = jour_fixe.pair_id"
        " WHERE jour_fixe.id = poll.jour_fixe_id)"
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.alter_column("team_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("occurrence", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(
            "ix_poll_team_id_occurrence", ["team_id", "occurrence"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_team_id_occurrence")
        batch_op.drop_column("occurrence")
        batch_op.drop_column("team_id")
