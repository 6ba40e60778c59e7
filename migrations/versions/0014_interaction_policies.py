"""Interaction policies, interaction requests and quotes

Posts' interaction policies (who may reply, like, boost and quote, and who asks first),
members' own defaults per visibility, the interactions waiting for or given an author's
approval, and quote posts with their consent. Existing posts keep no policy row: a
member's post without one follows the community's default, a remote one Mastodon's
reading of silence.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _post(name: str, *, nullable: bool, ondelete: str = "CASCADE", **kw: object) -> sa.Column:
    return sa.Column(
        name, sa.BigInteger(), sa.ForeignKey("posts.id", ondelete=ondelete), nullable=nullable, **kw
    )


def upgrade() -> None:
    op.create_table(
        "post_policies",
        _post("post_id", nullable=False, primary_key=True),
        sa.Column("policy", sa.JSON(), nullable=False),
    )
    op.create_table(
        "policy_defaults",
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id"), primary_key=True),
        sa.Column("visibility", sa.String(16), primary_key=True),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "interaction_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _post("target_post_id", nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("actors.id"), nullable=False),
        _post("interacting_post_id", nullable=True),
        sa.Column("object_uri", sa.String(2048), nullable=True),
        sa.Column("request_uri", sa.String(2048), nullable=True, unique=True),
        sa.Column("activity_id", sa.String(26), nullable=False),
        sa.Column("authorization_uri", sa.String(2048), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    for column in ("target_post_id", "actor_id", "interacting_post_id", "object_uri"):
        op.create_index(f"ix_interaction_requests_{column}", "interaction_requests", [column])
    op.create_index(
        "ix_interaction_requests_activity_id", "interaction_requests", ["activity_id"], unique=True
    )
    op.create_index(
        "ix_interaction_requests_authorization_uri", "interaction_requests", ["authorization_uri"]
    )
    op.create_index(
        "ix_interaction_requests_target_state", "interaction_requests", ["target_post_id", "state"]
    )
    op.create_index(
        "ix_interaction_requests_author_state", "interaction_requests", ["author_id", "state"]
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _post("post_id", nullable=False),
        _post("quoted_post_id", nullable=True, ondelete="SET NULL"),
        sa.Column("quoted_uri", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("authorization_uri", sa.String(2048), nullable=True),
        sa.Column("request_uri", sa.String(2048), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("post_id"),
    )
    for column in ("quoted_post_id", "quoted_uri", "authorization_uri", "request_uri"):
        op.create_index(f"ix_quotes_{column}", "quotes", [column])


def downgrade() -> None:
    op.drop_table("quotes")
    op.drop_table("interaction_requests")
    op.drop_table("policy_defaults")
    op.drop_table("post_policies")
