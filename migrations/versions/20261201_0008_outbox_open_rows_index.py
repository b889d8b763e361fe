"""outbox: index only the open rows (pending, sending) by status and due time

Only the claim reads this index, and it only looks for open rows. Indexing the closed
ones too cost an index entry on every row sent, the dispatcher's hottest write.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_status_due_at")
    op.create_index(
        "ix_outbox_open_due_at",
        "outbox",
        ["status", "due_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_open_due_at", table_name="outbox")
    op.create_index("ix_outbox_status_due_at", "outbox", ["status", "due_at"])
