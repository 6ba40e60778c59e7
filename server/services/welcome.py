"""The private "Was this reply welcome?": asked of the person replied to, about replies
to their posts, when the community turns it on (`outcomes.welcome_question`).

Only the person replied to ever sees the question or their answer: the replier is never
told, the answer never leaves this server (no activity, no client API field), and the
dashboard shows only counts (server/services/outcome_figures.py). Answering again
changes the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Post, PostState, ReplyWelcome
from server.services import post_reads
from server.services.errors import Forbidden, Invalid, NotFound
from server.services.norms import Norms
from server.services.rows import insert_once

#: The two answers, as the form sends them.
ANSWERS = {"yes": True, "not_really": False}


def asked(norms: Norms) -> bool:
    """Whether the community asks the question at all."""
    return norms["outcomes.welcome_question"] == "on"


def askable(viewer_id: int, posts: Iterable[Post]) -> list[int]:
    """Of `posts` (a thread as the viewer sees it), the published replies by someone else
    to a post of the viewer's: the ones the viewer may be asked about."""
    listed = list(posts)
    author_of = {p.id: p.actor_id for p in listed}
    return [
        p.id
        for p in listed
        if p.in_reply_to_id is not None
        and author_of.get(p.in_reply_to_id) == viewer_id
        and p.actor_id != viewer_id
        and p.state == PostState.published
    ]


async def asks_among(session: AsyncSession, viewer_id: int, posts: Iterable[Post]) -> list[int]:
    """Of `posts` (replies and mentions on the viewer's notifications), the published
    replies by someone else to a post of the viewer's. One statement, none without any."""
    replies = [
        p
        for p in posts
        if p.in_reply_to_id is not None
        and p.actor_id != viewer_id
        and p.state == PostState.published
    ]
    if not replies:
        return []
    parents = {p.in_reply_to_id for p in replies}
    own = set(
        (
            await session.exec(
                select(Post.id).where(col(Post.id).in_(parents), col(Post.actor_id) == viewer_id)
            )
        ).all()
    )
    return [p.id for p in replies if p.in_reply_to_id in own]


async def answers_of(
    session: AsyncSession, viewer_id: int, post_ids: list[int]
) -> dict[int, bool | None]:
    """The viewer's answer about each reply (None: not answered yet). One statement."""
    if not post_ids:
        return {}
    found = await session.exec(
        select(ReplyWelcome.post_id, ReplyWelcome.welcome).where(
            col(ReplyWelcome.actor_id) == viewer_id, col(ReplyWelcome.post_id).in_(post_ids)
        )
    )
    given = dict(found.all())
    return {post_id: given.get(post_id) for post_id in post_ids}


async def answer(
    session: AsyncSession,
    norms: Norms,
    viewer_id: int,
    post_id: int,
    raw: str,
    now: datetime,
) -> Post:
    """Record (or change) the viewer's answer about a reply to one of their posts; the
    reply. Refused with a message when the community does not ask, the answer is not
    one of the two, or the reply is not one to the viewer that they can see."""
    if not asked(norms):
        raise Forbidden("This community does not ask whether replies were welcome.")
    if raw not in ANSWERS:
        raise Invalid("Answer “yes” or “not really”.", field="welcome")
    reply = await post_reads.get_visible(session, viewer_id, post_id)
    parent = (
        await session.get(Post, reply.in_reply_to_id) if reply.in_reply_to_id is not None else None
    )
    if (
        parent is None
        or parent.actor_id != viewer_id
        or reply.actor_id == viewer_id
        or reply.state != PostState.published
    ):
        raise NotFound("You can only say whether a reply to your own post was welcome.")
    welcome = ANSWERS[raw]
    values = {"post_id": post_id, "actor_id": viewer_id, "welcome": welcome, "answered_at": now}
    written = await session.exec(insert_once(session, ReplyWelcome, **values))
    if written.rowcount != 1:  # answered before: the new answer replaces it
        await session.exec(
            update(ReplyWelcome)
            .where(col(ReplyWelcome.post_id) == post_id, col(ReplyWelcome.actor_id) == viewer_id)
            .values(welcome=welcome, answered_at=now)
        )
    await session.commit()
    return reply
