"""What a member sees before they reply: the thread so far and the person they answer.

Who the person is (their bio, how they like to be approached, how long they have been
here), how the two stand (follows either way), and their history together. Everything
is read in a handful of queries, so opening the composer stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, union_all
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
    """Replies between `one` (the member) and `other`, starting from the member's own
    posts: the member's replies to the other's posts, and the other's replies to the
    member's posts (through the in_reply_to index). Starting from the other person
    instead walks every post of a busy author."""
    mine, theirs = aliased(Post), aliased(Post)
    # The member's replies whose parent is by the other person.
    sent = (
        select(mine.created_at)
        .join(theirs, col(theirs.id) == col(mine.in_reply_to_id))
        .where(
            col(mine.actor_id) == one,
            col(mine.state) == PostState.published,
            col(theirs.actor_id) == other,
        )
    )
    # The other person's replies to the member's posts.
    received = (
        select(theirs.created_at)
        .select_from(mine)
        .join(theirs, col(theirs.in_reply_to_id) == col(mine.id))
        .where(
            col(mine.actor_id) == one,
            col(theirs.actor_id) == other,
            col(theirs.state) == PostState.published,
        )
    )
    both = union_all(sent, received).subquery()
    row = (await session.exec(select(func.count(), func.max(both.c.created_at)))).one()
    last = row[1]
    if isinstance(last, str):  # a UNION loses the column's type on SQLite
        last = datetime.fromisoformat(last)
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return History(int(row[0]), last)


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
