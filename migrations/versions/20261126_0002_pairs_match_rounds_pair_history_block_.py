"""pairs, match rounds, pair history, block list, repair requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 21:36:43.054244+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("active", "paused", "left")
NEW_STATUSES = (*OLD_STATUSES, "inactive")


def _status_check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "match_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "preview",
                "applied",
                "cancelled",
                "stale",
                name="round_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("pool_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("solver", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_round")),
    )
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.create_index(
            "uq_match_round_undelivered",
            ["team_id"],
            unique=True,
            sqlite_where=sa.text("status = 'applied' AND delivered_at IS NULL"),
            postgresql_where=sa.text("status = 'applied' AND delivered_at IS NULL"),
        )
    op.create_table(
        "blocked_user",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("blocked_user_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_blocked_user_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "blocked_user_id", name=op.f("pk_blocked_user")),
    )
    op.create_table(
        "pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "ended",
                name="pair_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "end_reason",
            sa.Enum(
                "ended_by_mentor",
                "ended_by_mentee",
                "mentor_left",
                "mentee_left",
                "unreachable",
                name="end_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("covered", sa.JSON(), nullable=False),
        sa.Column(
            "cadence",
            sa.Enum(
                "weekly",
                "biweekly",
                "monthly",
                name="pair_cadence",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("local_time", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("first_meeting", sa.Date(), nullable=True),
        sa.CheckConstraint("mentor_id <> mentee_id", name=op.f("ck_pair_two_people")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 4", name=op.f("ck_pair_weekday_is_workday")),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["participant.id"],
            name=op.f("fk_pair_mentee_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["participant.id"],
            name=op.f("fk_pair_mentor_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["match_round.id"],
            name=op.f("fk_pair_round_id_match_round"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair")),
    )
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.create_index(
            "uq_pair_active_mentee",
            ["mentee_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "pair_history",
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("first_paired_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["participant.id"],
            name=op.f("fk_pair_history_mentee_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["participant.id"],
            name=op.f("fk_pair_history_mentor_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mentor_id", "mentee_id", name=op.f("pk_pair_history")),
    )
    op.create_table(
        "repair_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["pair.id"],
            name=op.f("fk_repair_request_pair_id_pair"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["participant.id"],
            name=op.f("fk_repair_request_requested_by_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_request")),
        sa.UniqueConstraint(
            "pair_id", "requested_by", name=op.f("uq_repair_request_pair_id_requested_by")
        ),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mentor_capacity", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_participant_mentor_capacity_range"), "mentor_capacity BETWEEN 1 AND 3"
        )
        # Autogenerate does not see a widened enum CHECK: drop and recreate it by hand.
        batch_op.drop_constraint(op.f("ck_participant_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_participant_status"), _status_check(NEW_STATUSES))



def downgrade() -> None:
    op.execute("UPDATE participant SET status = 'paused' WHERE status = 'inactive'")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_participant_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_participant_status"), _status_check(OLD_STATUSES))
        batch_op.drop_constraint(op.f("ck_participant_mentor_capacity_range"), type_="check")
        batch_op.drop_column("mentor_capacity")

    op.drop_table("repair_request")
    op.drop_table("pair_history")
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pair_active_mentee",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.drop_table("pair")
    op.drop_table("blocked_user")
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_match_round_undelivered",
            sqlite_where=sa.text("status = 'applied' AND delivered_at IS NULL"),
            postgresql_where=sa.text("status = 'applied' AND delivered_at IS NULL"),
        )
    op.drop_table("match_round")
