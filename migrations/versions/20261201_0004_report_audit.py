"""report audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("csv", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_audit")),
    )
    op.create_index(
        "ix_report_audit_team_id_requested_at",
        "report_audit",
        ["team_id", "requested_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_report_audit_team_id_requested_at", table_name="report_audit")
    op.drop_table("report_audit")
