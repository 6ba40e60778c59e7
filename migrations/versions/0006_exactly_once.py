"""Post versions for conditional edits; uploads kept by drafts and released for removal

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_attachments_draft_id"), ["draft_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_attachments_draft_id", "drafts", ["draft_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attachments_draft_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_attachments_draft_id"))
        batch_op.drop_column("released_at")
        batch_op.drop_column("draft_id")
