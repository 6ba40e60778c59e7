"""Home and list feeds kept as ordered rows

Each member's home and each list becomes rows of post ids (`feed_entries`), written when
posts and relations change; a feed cut to its bound keeps its floor (`feed_floors`). The upgrade fills them from the posts with the rule the
timelines used until now (newest 800 per feed), so pages read the same right after
`porch migrate`; `porch feeds rebuild` gives the same rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIZE = 800

# Who may see post p as member {o}: server/services/visibility.py's visible_to, in SQL.
_VISIBLE = """
CASE WHEN p.actor_id = {o} THEN p.state IN ('pending', 'published')
ELSE p.state = 'published'
  AND p.actor_id NOT IN (SELECT id FROM actors WHERE suspended_at IS NOT NULL)
  AND p.actor_id NOT IN (SELECT target_id FROM blocks WHERE actor_id = {o})
  AND p.actor_id NOT IN (SELECT actor_id FROM blocks WHERE target_id = {o})
  AND (
    p.visibility IN ('public', 'unlisted')
    OR (p.visibility = 'followers' AND (
      EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = {o}
              AND f.followed_id = p.actor_id AND f.state = 'accepted')
      OR EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id AND m.actor_id = {o})))
    OR (p.visibility = 'direct' AND
      EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id AND m.actor_id = {o}))
  )
END
"""

_PARENT_AUTHOR = "(SELECT pp.actor_id FROM posts pp WHERE pp.id = p.in_reply_to_id)"

_HOME = f"""
INSERT INTO feed_entries (owner_id, feed, post_id, author_id)
SELECT owner_id, 0, post_id, author_id FROM (
  SELECT o.id AS owner_id, p.id AS post_id, p.actor_id AS author_id,
         row_number() OVER (PARTITION BY o.id ORDER BY p.id DESC) AS n
  FROM actors o JOIN posts p ON (
    p.actor_id = o.id OR p.actor_id IN (
      SELECT followed_id FROM follows WHERE follower_id = o.id AND state = 'accepted'))
  WHERE o.domain IS NULL
    AND p.actor_id NOT IN (
      SELECT lm.actor_id FROM list_members lm JOIN lists l ON l.id = lm.list_id
      WHERE l.actor_id = o.id AND l.exclusive = TRUE)
    AND {_VISIBLE.format(o="o.id")}
) AS ranked WHERE n <= {SIZE}
"""

_LISTS = f"""
INSERT INTO feed_entries (owner_id, feed, post_id, author_id)
SELECT owner_id, feed, post_id, author_id FROM (
  SELECT l.actor_id AS owner_id, l.id AS feed, p.id AS post_id, p.actor_id AS author_id,
         row_number() OVER (PARTITION BY l.id ORDER BY p.id DESC) AS n
  FROM lists l JOIN list_members lm ON lm.list_id = l.id JOIN posts p ON p.actor_id = lm.actor_id
  WHERE (
      p.in_reply_to_id IS NULL OR p.actor_id = {_PARENT_AUTHOR}
      OR (l.replies_policy = 'list' AND {_PARENT_AUTHOR} IN (
        SELECT actor_id FROM list_members WHERE list_id = l.id))
      OR (l.replies_policy = 'followed' AND ({_PARENT_AUTHOR} IN (
        SELECT followed_id FROM follows WHERE follower_id = l.actor_id AND state = 'accepted')
        OR {_PARENT_AUTHOR} = l.actor_id))
    )
    AND {_VISIBLE.format(o="l.actor_id")}
) AS ranked WHERE n <= {SIZE}
"""


def upgrade() -> None:
    op.create_table(
        "feed_entries",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["actors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id", "feed", "post_id"),
    )
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_entries_author_id"), ["author_id"])
        batch_op.create_index(batch_op.f("ix_feed_entries_post_id"), ["post_id"])
    op.create_table(
        "feed_floors",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("floor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["actors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id", "feed"),
    )
    op.execute(_HOME)
    op.execute(_LISTS)
    # A feed filled to the bound may leave older posts out: pages below it are computed.
    op.execute(
        "INSERT INTO feed_floors (owner_id, feed, floor) SELECT owner_id, feed, min(post_id) "
        f"FROM feed_entries GROUP BY owner_id, feed HAVING count(*) >= {SIZE}"
    )


def downgrade() -> None:
    op.drop_table("feed_floors")
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_entries_post_id"))
        batch_op.drop_index(batch_op.f("ix_feed_entries_author_id"))
    op.drop_table("feed_entries")
