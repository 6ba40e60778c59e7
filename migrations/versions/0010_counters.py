"""Counts kept in rows beside posts and people

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same definitions as `porch counters rebuild` (server/services/counters.py), in SQL
# both databases run: only rows with something to count are written.
BACKFILL_POSTS = """
INSERT INTO post_counters (post_id, replies_count, reblogs_count, favourites_count, quotes_count)
SELECT post_id, SUM(replies), SUM(reblogs), SUM(favourites), 0 FROM (
    SELECT in_reply_to_id AS post_id, 1 AS replies, 0 AS reblogs, 0 AS favourites
    FROM posts
    WHERE in_reply_to_id IS NOT NULL AND reblog_of_id IS NULL AND state = 'published'
      AND visibility IN ('public', 'unlisted')
    UNION ALL
    SELECT reblog_of_id, 0, 1, 0 FROM posts
    WHERE reblog_of_id IS NOT NULL AND state = 'published'
    UNION ALL
    SELECT post_id, 0, 0, 1 FROM likes
) AS figures
WHERE post_id IN (SELECT id FROM posts)
GROUP BY post_id
"""

BACKFILL_ACTORS = """
INSERT INTO actor_counters (actor_id, statuses_count, followers_count, following_count,
    last_status_at)
SELECT actor_id, SUM(statuses), SUM(followers), SUM(following), MAX(last_status_at) FROM (
    SELECT actor_id, 1 AS statuses, 0 AS followers, 0 AS following,
        published_at AS last_status_at
    FROM posts WHERE state = 'published'
    UNION ALL
    SELECT followed_id, 0, 1, 0, NULL FROM follows WHERE state = 'accepted'
    UNION ALL
    SELECT follower_id, 0, 0, 1, NULL FROM follows WHERE state = 'accepted'
) AS figures
GROUP BY actor_id
"""


def upgrade() -> None:
    op.create_table(
        "actor_counters",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("statuses_count", sa.Integer(), nullable=False),
        sa.Column("followers_count", sa.Integer(), nullable=False),
        sa.Column("following_count", sa.Integer(), nullable=False),
        sa.Column("last_status_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("actor_id"),
    )
    op.create_table(
        "post_counters",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("replies_count", sa.Integer(), nullable=False),
        sa.Column("reblogs_count", sa.Integer(), nullable=False),
        sa.Column("favourites_count", sa.Integer(), nullable=False),
        sa.Column("quotes_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.execute(BACKFILL_POSTS)
    op.execute(BACKFILL_ACTORS)


def downgrade() -> None:
    op.drop_table("post_counters")
    op.drop_table("actor_counters")
