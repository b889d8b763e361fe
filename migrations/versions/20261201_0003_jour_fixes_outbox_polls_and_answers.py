"""jour fixes, outbox, polls and answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 13:10:33.021409+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "nudge",
                "checkin",
                "poll",
                "notice",
                "ghost",
                name="outbox_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "missed",
                "cancelled",
                "failed",
                name="outbox_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("solicited", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_outbox_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "kind",
            "subject_id",
            "occurrence_key",
            name=op.f("uq_outbox_kind_subject_id_occurrence_key"),
        ),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_participant_id_sent_at", ["participant_id", "sent_at"], unique=False
        )
        batch_op.create_index("ix_outbox_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "jour_fixe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "met",
                "skipped",
                "missed",
                "moved",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "mentor_replied", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "mentee_replied", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_jour_fixe_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jour_fixe")),
        sa.UniqueConstraint("pair_id", "occurrence", name=op.f("uq_jour_fixe_pair_id_occurrence")),
    )
    with op.batch_alter_table("jour_fixe", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jour_fixe_status_planned_at", ["status", "planned_at"], unique=False
        )
        batch_op.create_index("ix_jour_fixe_occurrence", ["occurrence"], unique=False)

    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jour_fixe_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["jour_fixe_id"],
            ["jour_fixe.id"],
            name=op.f("fk_poll_jour_fixe_id_jour_fixe"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_poll_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
        sa.UniqueConstraint(
            "jour_fixe_id", "participant_id", name=op.f("uq_poll_jour_fixe_id_participant_id")
        ),
    )
    op.create_table(
        "poll_answer",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("learned", sa.String(length=500), nullable=True),
        sa.Column("try_next", sa.String(length=500), nullable=True),
        sa.Column("keep", sa.String(length=500), nullable=True),
        sa.Column("stop", sa.String(length=500), nullable=True),
        sa.Column("start", sa.String(length=500), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_poll_answer_rating_range")),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_answer_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_poll_answer")),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dm_channel_id", sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("dm_channel_id")

    op.drop_table("poll_answer")
    op.drop_table("poll")
    with op.batch_alter_table("jour_fixe", schema=None) as batch_op:
        batch_op.drop_index("ix_jour_fixe_occurrence")
        batch_op.drop_index("ix_jour_fixe_status_planned_at")

    op.drop_table("jour_fixe")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_due_at")
        batch_op.drop_index("ix_outbox_participant_id_sent_at")

    op.drop_table("outbox")
