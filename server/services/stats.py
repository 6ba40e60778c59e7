"""Counts shown beside people and posts, read for a whole page at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, null, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Follow, FollowState, Like, Post, PostState
from server.services import statements


@dataclass(frozen=True)
class AccountStats:
    statuses: int = 0
    followers: int = 0
    following: int = 0
    last_status_at: datetime | None = None


@dataclass(frozen=True)
class PostStats:
    favourites: int = 0
    reblogs: int = 0


async def of_accounts(session: AsyncSession, actor_ids: Collection[int]) -> dict[int, AccountStats]:
    """Published posts (boosts included), accepted followers and follows, per person:
    one statement for a whole page of people."""
    ids = list(set(actor_ids))
    if not ids:
        return {}
    accepted = col(Follow.state) == FollowState.accepted
    posts = (
        select(Post.actor_id, literal("posts"), func.count(), func.max(Post.published_at))
        .where(col(Post.actor_id).in_(ids), col(Post.state) == PostState.published)
        .group_by(col(Post.actor_id))
    )
    followers = (
        select(Follow.followed_id, literal("followers"), func.count(), null())
        .where(col(Follow.followed_id).in_(ids), accepted)
        .group_by(col(Follow.followed_id))
    )
    following = (
        select(Follow.follower_id, literal("following"), func.count(), null())
        .where(col(Follow.follower_id).in_(ids), accepted)
        .group_by(col(Follow.follower_id))
    )
    figures: dict[int, dict[str, Any]] = {i: {} for i in ids}
    rows = await statements.execute(session, union_all(posts, followers, following))
    for actor_id, kind, count, last in rows.all():
        figures[actor_id][kind] = int(count)
        if kind == "posts":
            figures[actor_id]["last"] = _moment(last)
    return {
        i: AccountStats(
            statuses=f.get("posts", 0),
            followers=f.get("followers", 0),
            following=f.get("following", 0),
            last_status_at=f.get("last"),
        )
        for i, f in figures.items()
    }


def _moment(value: Any) -> datetime | None:
    """A UNION loses the column's type on SQLite: times come back as text there."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def of_posts(session: AsyncSession, post_ids: Collection[int]) -> dict[int, PostStats]:
    """Likes and boosts per post, in one statement."""
    ids = list(set(post_ids))
    if not ids:
        return {}
    likes = (
        select(Like.post_id, literal("likes"), func.count())
        .where(col(Like.post_id).in_(ids))
        .group_by(col(Like.post_id))
    )
    boosts = (
        select(Post.reblog_of_id, literal("boosts"), func.count())
        .where(col(Post.reblog_of_id).in_(ids), col(Post.state) == PostState.published)
        .group_by(col(Post.reblog_of_id))
    )
    counts: dict[tuple[int, str], int] = {}
    rows = await statements.execute(session, union_all(likes, boosts))
    for post_id, kind, count in rows.all():
        counts[(post_id, kind)] = int(count)
    return {
        i: PostStats(favourites=counts.get((i, "likes"), 0), reblogs=counts.get((i, "boosts"), 0))
        for i in ids
    }
