"""Counts shown beside people and posts, read for a whole page at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Follow, FollowState, Like, Post, PostState


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
    """Published posts (boosts included), accepted followers and follows, per person."""
    ids = list(set(actor_ids))
    if not ids:
        return {}
    posts = await session.exec(
        select(Post.actor_id, func.count(), func.max(Post.published_at))
        .where(col(Post.actor_id).in_(ids), col(Post.state) == PostState.published)
        .group_by(col(Post.actor_id))
    )
    accepted = col(Follow.state) == FollowState.accepted
    followers = await session.exec(
        select(Follow.followed_id, func.count())
        .where(col(Follow.followed_id).in_(ids), accepted)
        .group_by(col(Follow.followed_id))
    )
    following = await session.exec(
        select(Follow.follower_id, func.count())
        .where(col(Follow.follower_id).in_(ids), accepted)
        .group_by(col(Follow.follower_id))
    )
    post_counts = {a: (int(n), last) for a, n, last in posts.all()}
    follower_counts = dict(followers.all())
    following_counts = dict(following.all())
    return {
        i: AccountStats(
            statuses=post_counts.get(i, (0, None))[0],
            followers=int(follower_counts.get(i, 0)),
            following=int(following_counts.get(i, 0)),
            last_status_at=post_counts.get(i, (0, None))[1],
        )
        for i in ids
    }


async def of_posts(session: AsyncSession, post_ids: Collection[int]) -> dict[int, PostStats]:
    """Likes and boosts per post."""
    ids = list(set(post_ids))
    if not ids:
        return {}
    likes = await session.exec(
        select(Like.post_id, func.count())
        .where(col(Like.post_id).in_(ids))
        .group_by(col(Like.post_id))
    )
    boosts = await session.exec(
        select(Post.reblog_of_id, func.count())
        .where(col(Post.reblog_of_id).in_(ids), col(Post.state) == PostState.published)
        .group_by(col(Post.reblog_of_id))
    )
    like_counts, boost_counts = dict(likes.all()), dict(boosts.all())
    return {
        i: PostStats(favourites=int(like_counts.get(i, 0)), reblogs=int(boost_counts.get(i, 0)))
        for i in ids
    }
