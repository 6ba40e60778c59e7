"""The pile-on shield

Each time a member's thread was answered by a surge of people who do not follow them,
and its shield went up: until when, whether its author turned it off, how many strangers
tripped it and how many notifications it gathered.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:18:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pile_on_shields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("strangers", sa.Integer(), nullable=False),
        sa.Column("gathered", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("post_id", "author_id", "started_at"):
        op.create_index(f"ix_pile_on_shields_{column}", "pile_on_shields", [column])


def downgrade() -> None:
    for column in ("post_id", "author_id", "started_at"):
        op.drop_index(f"ix_pile_on_shields_{column}", table_name="pile_on_shields")
    op.drop_table("pile_on_shields")
