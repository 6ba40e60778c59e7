"""Reports, moderation actions, appeals and the audit log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_account_notes_target_id"), "account_notes", ["target_id"], unique=False
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("rules_cited", sa.JSON(), nullable=False),
        sa.Column("norm_version", sa.Integer(), nullable=False),
        sa.Column("forward", sa.Boolean(), nullable=False),
        sa.Column("forwarded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("origin_domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("flagged_by_id", sa.Integer(), nullable=True),
        sa.Column("uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flagged_by_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uri"),
    )
    op.create_index(op.f("ix_reports_reporter_id"), "reports", ["reporter_id"], unique=False)
    op.create_index("ix_reports_state_id", "reports", ["state", "id"], unique=False)
    op.create_index(op.f("ix_reports_target_id"), "reports", ["target_id"], unique=False)
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("norm_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("norm_version", sa.Integer(), nullable=False),
        sa.Column("norm_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("lifted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_moderation_actions_report_id"), "moderation_actions", ["report_id"], unique=False
    )
    op.create_index(
        op.f("ix_moderation_actions_target_id"), "moderation_actions", ["target_id"], unique=False
    )
    op.create_table(
        "reported_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("content_html", sqlmodel.sql.sqltypes.AutoString(length=200000), nullable=False),
        sa.Column("spoiler_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("media_descriptions", sa.JSON(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_reported_posts_report_id"), "reported_posts", ["report_id"], unique=False
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("appellant_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["moderation_actions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["appellant_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("verb", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("norm_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("norm_version", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["moderation_actions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["actors.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_entries_actor_id"), "audit_entries", ["actor_id"], unique=False)
    op.create_index(
        op.f("ix_audit_entries_created_at"), "audit_entries", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_audit_entries_target_id"), "audit_entries", ["target_id"], unique=False
    )
    op.create_index(op.f("ix_audit_entries_verb"), "audit_entries", ["verb"], unique=False)
    op.create_table(
        "moderation_notices",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["moderation_actions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    # A plain ADD COLUMN (no batch) keeps SQLite from rebuilding actors, which every
    # table points at.
    op.add_column(
        "actors", sa.Column("limited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("actors", "limited_at")
    op.drop_table("moderation_notices")
    op.drop_index(op.f("ix_audit_entries_verb"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_target_id"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_created_at"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_actor_id"), table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("appeals")
    op.drop_index(op.f("ix_reported_posts_report_id"), table_name="reported_posts")
    op.drop_table("reported_posts")
    op.drop_index(op.f("ix_moderation_actions_target_id"), table_name="moderation_actions")
    op.drop_index(op.f("ix_moderation_actions_report_id"), table_name="moderation_actions")
    op.drop_table("moderation_actions")
    op.drop_index(op.f("ix_reports_target_id"), table_name="reports")
    op.drop_index("ix_reports_state_id", table_name="reports")
    op.drop_index(op.f("ix_reports_reporter_id"), table_name="reports")
    op.drop_table("reports")
    op.drop_index(op.f("ix_account_notes_target_id"), table_name="account_notes")
    op.drop_table("account_notes")
