"""What a member sees before they reply: the thread so far and the person they answer.

Who the person is (their bio, how they like to be approached, how long they have been
here), how the two stand (follows either way), and their history together. Everything
is read in a handful of queries, so opening the composer stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Post, PostState
from server.services import relationships
from server.services.posts import get_visible
from server.services.relationships import Relationship
from server.services.visibility import visible_to


@dataclass(frozen=True)
class ThreadSummary:
    """ "12 replies · 5 people · you follow 2 · author taking part"."""

    replies: int
    people: int
    you_follow: int
    author_taking_part: bool


@dataclass(frozen=True)
class History:
    """Replies the two wrote to each other, and the last one's time."""

    exchanged: int
    last_at: datetime | None


@dataclass(frozen=True)
class ReplyContext:
    parent: Post
    author: Actor
    thread: ThreadSummary
    relationship: Relationship
    history: History


async def _thread(session: AsyncSession, viewer_id: int, parent: Post) -> ThreadSummary:
    replies = (
        select(Post.actor_id)
        .where(
            col(Post.root_id) == parent.root_id,
            col(Post.in_reply_to_id).is_not(None),
            visible_to(viewer_id),
        )
        .subquery()
    )
    followed = select(Follow.followed_id).where(
        Follow.follower_id == viewer_id, Follow.state == FollowState.accepted
    )
    count, people, you_follow, author = (
        await session.exec(
            select(
                func.count(),
                func.count(func.distinct(replies.c.actor_id)),
                func.count(func.distinct(replies.c.actor_id)).filter(
                    replies.c.actor_id.in_(followed)
                ),
                func.count().filter(replies.c.actor_id == parent.actor_id),
            ).select_from(replies)
        )
    ).one()
    return ThreadSummary(int(count), int(people), int(you_follow), bool(author))


async def _history(session: AsyncSession, one: int, other: int) -> History:
    parent = aliased(Post)
    row = (
        await session.exec(
            select(func.count(), func.max(Post.created_at))
            .select_from(Post)
            .join(parent, col(parent.id) == col(Post.in_reply_to_id))
            .where(
                col(Post.state) == PostState.published,
                or_(
                    (col(Post.actor_id) == one) & (col(parent.actor_id) == other),
                    (col(Post.actor_id) == other) & (col(parent.actor_id) == one),
                ),
            )
        )
    ).one()
    return History(int(row[0]), row[1])


async def for_reply(session: AsyncSession, viewer: Actor, parent_id: int) -> ReplyContext:
    """The context of a reply by `viewer` to `parent_id` (NotFound if they cannot see it)."""
    assert viewer.id is not None
    parent = await get_visible(session, viewer.id, parent_id)
    author = await session.get(Actor, parent.actor_id)
    assert author is not None and author.id is not None
    relation = (await relationships.between(session, viewer.id, [author.id]))[0]
    return ReplyContext(
        parent=parent,
        author=author,
        thread=await _thread(session, viewer.id, parent),
        relationship=relation,
        history=await _history(session, viewer.id, author.id),
    )
