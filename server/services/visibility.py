"""Who may see which post: one SQL condition used by every read path."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, and_, case, exists, or_, select
from sqlmodel import col

from server.models import Actor, Block, Follow, FollowState, Mention, Post, PostState, Visibility

OPEN = (Visibility.public, Visibility.unlisted)


# Building the expression costs more than running the query it goes in; the result is
# immutable, so each viewer's condition is built once.
@lru_cache(maxsize=1024)
def visible_to(viewer_id: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """The condition that a post may be shown to `viewer_id` (None: logged out; a bound
    parameter in statements built once; a column when many viewers are checked at once).

    Suspended people's posts reach nobody. A pending post is its author's alone; followers-only posts reach accepted followers
    and mentioned people; direct posts reach mentioned people; deleted posts reach nobody.
    """
    # Uncorrelated, so the database builds the (short) list of suspended people once.
    suspended = select(col(Actor.id)).where(col(Actor.suspended_at).is_not(None))
    published = and_(col(Post.state) == PostState.published, col(Post.actor_id).not_in(suspended))
    if viewer_id is None:
        return and_(published, col(Post.visibility).in_(OPEN))
    mentioned = exists(
        select(col(Mention.post_id)).where(
            col(Mention.post_id) == col(Post.id), col(Mention.actor_id) == viewer_id
        )
    )
    follows_author = exists(
        select(col(Follow.id)).where(
            col(Follow.follower_id) == viewer_id,
            col(Follow.followed_id) == col(Post.actor_id),
            col(Follow.state) == FollowState.accepted,
        )
    )
    # Blocks work both ways: neither sees the other's posts.
    blocked = select(col(Block.target_id)).where(col(Block.actor_id) == viewer_id)
    blocking = select(col(Block.actor_id)).where(col(Block.target_id) == viewer_id)
    others = and_(
        published,
        col(Post.actor_id).not_in(blocked),
        col(Post.actor_id).not_in(blocking),
        or_(
            col(Post.visibility).in_(OPEN),
            and_(col(Post.visibility) == Visibility.followers, or_(follows_author, mentioned)),
            and_(col(Post.visibility) == Visibility.direct, mentioned),
        ),
    )
    # CASE rather than OR: SQLite splits a top-level OR into separate index scans and
    # then reads and sorts every published post instead of walking the page's index.
    return case(
        (
            col(Post.actor_id) == viewer_id,
            col(Post.state).in_((PostState.pending, PostState.published)),
        ),
        else_=others,
    )
