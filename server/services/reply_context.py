"""What a member sees before they reply: the thread so far and the person they answer.

Who the person is (their bio, how they like to be approached, how long they have been
here), how the two stand (follows either way), and their history together. Everything
is read in a handful of queries, so opening the composer stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Post
from server.services import relationships
from server.services.post_reads import get_visible
from server.services.relationships import History, Relationship
from server.services.visibility import visible_to


@dataclass(frozen=True)
class ThreadSummary:
    """ "12 replies · 5 people · you follow 2 · author taking part"."""

    replies: int
    people: int
    you_follow: int
    author_taking_part: bool


@dataclass(frozen=True)
class ReplyContext:
    parent: Post
    author: Actor
    thread: ThreadSummary
    relationship: Relationship
    history: History


def _thread_statement() -> Any:
    viewer: BindParameter[int] = bindparam("viewer")
    replies = (
        select(Post.actor_id)
        .where(
            col(Post.root_id) == bindparam("root"),
            col(Post.in_reply_to_id).is_not(None),
            visible_to(viewer),
        )
        .subquery()
    )
    followed = select(Follow.followed_id).where(
        Follow.follower_id == viewer, Follow.state == FollowState.accepted
    )
    return select(
        func.count(),
        func.count(func.distinct(replies.c.actor_id)),
        func.count(func.distinct(replies.c.actor_id)).filter(replies.c.actor_id.in_(followed)),
        func.count().filter(replies.c.actor_id == bindparam("author")),
    ).select_from(replies)


#: Built once: the composer opens often, and building it costs more than running it.
THREAD = _thread_statement()


async def _thread(session: AsyncSession, viewer_id: int, parent: Post) -> ThreadSummary:
    params = {"viewer": viewer_id, "root": parent.root_id, "author": parent.actor_id}
    count, people, you_follow, author = (await session.exec(THREAD, params=params)).one()
    return ThreadSummary(int(count), int(people), int(you_follow), bool(author))


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
        history=await relationships.history(session, viewer.id, author.id),
    )
