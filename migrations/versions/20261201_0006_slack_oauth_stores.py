"""slack_sdk's installation and OAuth state stores, for multi-workspace distribution

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN = 512


def _installation_columns(installer: bool) -> list[sa.Column]:
    columns = [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
    ]
    if installer:
        columns.append(sa.Column("enterprise_url", sa.String(length=200), nullable=True))
    columns += [
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("bot_token", sa.String(length=TOKEN), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
        sa.Column("bot_refresh_token", sa.String(length=TOKEN), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
    ]
    if installer:
        columns += [
            sa.Column("user_id", sa.String(length=32), nullable=False),
            sa.Column("user_token", sa.String(length=TOKEN), nullable=True),
            sa.Column("user_scopes", sa.String(length=1000), nullable=True),
            sa.Column("user_refresh_token", sa.String(length=TOKEN), nullable=True),
            sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
            sa.Column("incoming_webhook_url", sa.String(length=200), nullable=True),
            sa.Column("incoming_webhook_channel", sa.String(length=200), nullable=True),
            sa.Column("incoming_webhook_channel_id", sa.String(length=200), nullable=True),
            sa.Column(
                "incoming_webhook_configuration_url", sa.String(length=200), nullable=True
            ),
        ]
    columns.append(sa.Column("is_enterprise_install", sa.Boolean(), nullable=False))
    if installer:
        columns.append(sa.Column("token_type", sa.String(length=32), nullable=True))
    columns.append(sa.Column("installed_at", sa.DateTime(), nullable=False))
    return columns


def upgrade() -> None:
    for name, installer in (("slack_installations", True), ("slack_bots", False)):
        op.create_table(
            name,
            *_installation_columns(installer),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        keys = ["client_id", "enterprise_id", "team_id", *(["user_id"] if installer else [])]
        op.create_index(f"{name}_idx", name, [*keys, "installed_at"], unique=False)
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_oauth_states")),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    for name in ("slack_bots", "slack_installations"):
        op.drop_index(f"{name}_idx", table_name=name)
        op.drop_table(name)
