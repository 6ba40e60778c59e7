"""Accounts by email

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(op.f("ix_mail_tokens_member_id"), "mail_tokens", ["member_id"])
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_outgoing_mails_next_attempt_at"), "outgoing_mails", ["next_attempt_at"]
    )
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # Members from before confirmation were never asked: their addresses stand as given.
    op.execute("UPDATE members SET email_confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("email_confirmed_at")
    op.drop_index(op.f("ix_outgoing_mails_next_attempt_at"), table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    op.drop_index(op.f("ix_mail_tokens_member_id"), table_name="mail_tokens")
    op.drop_table("mail_tokens")
