"""Web settings

A member's preferences from Settings > Preferences: the visibility the composer starts
with and the language they write in.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 22:09:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_preferences",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column(
            "default_visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"]),
        sa.PrimaryKeyConstraint("actor_id"),
    )


def downgrade() -> None:
    op.drop_table("member_preferences")
