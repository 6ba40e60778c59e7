"""Replies a thread's author hid from their thread

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing to backfill: no reply was hidden before this table, and replies from people
    # a thread's author blocked are found from `blocks` when a thread is read.
    op.create_table(
        "hidden_replies",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        sa.Column("hidden_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hidden_by_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_index("ix_hidden_replies_root_id", "hidden_replies", ["root_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hidden_replies_root_id", table_name="hidden_replies")
    op.drop_table("hidden_replies")
