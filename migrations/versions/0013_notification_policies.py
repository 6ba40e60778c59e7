"""Notification policies and filtered notification requests

Members' notification policies (each filter: accept, filter or drop; unset follows the
community's norm), the people whose filtered notifications they accepted, their muted
threads, and the notifications' `filtered` mark (existing ones are all unfiltered).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_policies",
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id"), primary_key=True),
        *(
            sa.Column(name, sa.String(8), nullable=True)
            for name in (
                "for_not_following",
                "for_not_followers",
                "for_new_accounts",
                "for_private_mentions",
                "for_limited_accounts",
            )
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "notification_permissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("from_actor_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("actor_id", "from_actor_id"),
    )
    op.create_index(
        "ix_notification_permissions_from_actor_id",
        "notification_permissions",
        ["from_actor_id"],
    )
    op.create_table(
        "thread_mutes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("actor_id", "root_id"),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("filtered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_notifications_filtered",
        "notifications",
        ["recipient_id", "from_actor_id"],
        sqlite_where=sa.text("filtered"),
        postgresql_where=sa.text("filtered"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_filtered", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("filtered")
    op.drop_table("thread_mutes")
    op.drop_index(
        "ix_notification_permissions_from_actor_id", table_name="notification_permissions"
    )
    op.drop_table("notification_permissions")
    op.drop_table("notification_policies")
