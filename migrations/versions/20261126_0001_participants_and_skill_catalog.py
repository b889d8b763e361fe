"""participants and skill catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-26 20:42:16.405330+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("slack_user_id", sa.String(length=40), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "mentor",
                "mentee",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("department", sa.String(length=80), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("about", sa.String(length=300), nullable=True),
        sa.Column(
            "cadence",
            sa.Enum(
                "weekly",
                "biweekly",
                "monthly",
                name="cadence",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("preferred_weekday", sa.SmallInteger(), nullable=True),
        sa.Column(
            "time_window",
            sa.Enum(
                "morning",
                "midday",
                "afternoon",
                "any",
                name="time_window",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "left",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'paused') OR (paused_until IS NULL)",
            name=op.f("ck_participant_paused_until_only_when_paused"),
        ),
        sa.CheckConstraint(
            "preferred_weekday BETWEEN 0 AND 4", name=op.f("ck_participant_weekday_is_workday")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
        sa.UniqueConstraint(
            "team_id", "slack_user_id", name=op.f("uq_participant_team_id_slack_user_id")
        ),
    )
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "skill",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_skill")),
    )
    op.create_table(
        "participant_skill",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("skill_key", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "offered",
                "wanted",
                name="skill_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_participant_skill_level_range")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_skill_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_key"], ["skill.key"], name=op.f("fk_participant_skill_skill_key_skill")
        ),
        sa.PrimaryKeyConstraint(
            "participant_id", "skill_key", "kind", name=op.f("pk_participant_skill")
        ),
    )
    with op.batch_alter_table("participant_skill", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participant_skill_skill_kind", ["skill_key", "kind"], unique=False
        )

    op.create_table(
        "skill_label",
        sa.Column("skill_key", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=75), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_key"],
            ["skill.key"],
            name=op.f("fk_skill_label_skill_key_skill"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("skill_key", "language", name=op.f("pk_skill_label")),
    )


def downgrade() -> None:
    op.drop_table("skill_label")
    with op.batch_alter_table("participant_skill", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_skill_skill_kind")

    op.drop_table("participant_skill")
    op.drop_table("skill")
    op.drop_table("processed_event")
    op.drop_table("participant")
