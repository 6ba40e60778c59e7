"""What the care did: outcomes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 00:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTCDateTime = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("care_events") as batch:
        batch.add_column(sa.Column("reply_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("norms_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("arm", AutoString(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("still_flagged", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("answered", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("turned_away", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("slowed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("hidden", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("followed_up_at", UTCDateTime(), nullable=True))
    op.create_index(op.f("ix_care_events_reply_id"), "care_events", ["reply_id"])
    op.create_index(op.f("ix_care_events_followed_up_at"), "care_events", ["followed_up_at"])
    op.create_table(
        "care_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("detail", AutoString(length=32), nullable=False),
        sa.Column("outcome", AutoString(length=16), nullable=False),
        sa.Column("arm", AutoString(length=32), nullable=False),
        sa.Column("norms_version", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("followed_up", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("turned_away", sa.Integer(), nullable=False),
        sa.Column("slowed", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.Column("still_flagged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "detail", "outcome", "arm", "norms_version"),
    )
    op.create_table(
        "reply_welcomes",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("welcome", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"]),
        sa.PrimaryKeyConstraint("post_id", "actor_id"),
    )
    op.create_index(op.f("ix_reply_welcomes_answered_at"), "reply_welcomes", ["answered_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reply_welcomes_answered_at"), table_name="reply_welcomes")
    op.drop_table("reply_welcomes")
    op.drop_table("care_daily")
    op.drop_index(op.f("ix_care_events_followed_up_at"), table_name="care_events")
    op.drop_index(op.f("ix_care_events_reply_id"), table_name="care_events")
    with op.batch_alter_table("care_events") as batch:
        for column in (
            "followed_up_at",
            "hidden",
            "slowed",
            "turned_away",
            "answered",
            "still_flagged",
            "arm",
            "norms_version",
            "reply_id",
        ):
            batch.drop_column(column)
