"""Norm experiments: a norm change tried on half of members; the draft a withdrawn post
became, on its pause's care event

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTCDateTime = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "norm_experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=False),
        sa.Column("new_value", sa.JSON(), nullable=False),
        sa.Column("reason", AutoString(length=500), nullable=False),
        sa.Column("salt", AutoString(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision", AutoString(length=16), nullable=False),
        sa.Column("undecided", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("undecided"),
    )
    op.create_index(op.f("ix_norm_experiments_name"), "norm_experiments", ["name"])
    with op.batch_alter_table("norm_changes") as batch:
        batch.add_column(sa.Column("experiment_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("care_events") as batch:
        batch.add_column(sa.Column("draft_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_care_events_draft_id"), "care_events", ["draft_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_care_events_draft_id"), table_name="care_events")
    with op.batch_alter_table("care_events") as batch:
        batch.drop_column("draft_id")
    with op.batch_alter_table("norm_changes") as batch:
        batch.drop_column("experiment_id")
    op.drop_index(op.f("ix_norm_experiments_name"), table_name="norm_experiments")
    op.drop_table("norm_experiments")
