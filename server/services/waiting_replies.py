"""Members' replies that wait for approval: kept at compose, held at the pause's end.

A member's reply to a post whose rules want its author's approval is written as usual
and has its pause; publishing then finds its request waiting (`not_waiting` is part of
the publish statement) and leaves it pending: the author here is told, or the author's
server elsewhere is asked (server/services/asking.py).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Post, ScheduledPublish
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    RequestState,
)
from server.services import asking, notifications
from server.services.approval_gate import PENDING_KINDS, hold, judge
from server.services.interaction_policies import Decision


async def hold_reply(session: AsyncSession, author: Actor, post: Post, now: datetime) -> None:
    """A member's new reply that needs approval: kept with its request, told to the
    author of the post it answers only at its pause's end (`held_at_pause_end`)."""
    if post.in_reply_to_id is None:
        return
    parent = await session.get(Post, post.in_reply_to_id)  # read by the checks already
    if parent is None:
        return
    verdict = await judge(session, parent, author, Interaction.reply, now)
    if not parent.is_local and (verdict.decision == Decision.manual or verdict.needs_proof):
        await asking.ask(
            session,
            kind=Interaction.reply,
            post=parent,
            actor=author,
            now=now,
            interacting_post_id=post.id,
            send=False,
        )
    elif parent.is_local and verdict.decision == Decision.manual:
        await hold(
            session,
            kind=Interaction.reply,
            post=parent,
            actor=author,
            now=now,
            interacting_post_id=post.id,
            tell=False,
        )


def not_waiting() -> ColumnElement[bool]:
    """For the publish statement: the post is no reply waiting for approval."""
    return ~exists(
        select(col(InteractionRequest.id)).where(
            col(InteractionRequest.interacting_post_id) == col(Post.id),
            col(InteractionRequest.state) == RequestState.pending,
        )
    )


async def waiting_among(session: AsyncSession, post_ids: Collection[int]) -> set[int]:
    """Which of `post_ids` are replies held for approval. A reply whose pause just ended
    may still be pending for a moment before it goes out: that one is not waiting."""
    if not post_ids:
        return set()
    rows = await session.exec(
        select(col(InteractionRequest.interacting_post_id)).where(
            col(InteractionRequest.interacting_post_id).in_(post_ids),
            col(InteractionRequest.state) == RequestState.pending,
        )
    )
    return {i for i in rows.all() if i is not None}


async def held_at_pause_end(session: AsyncSession, post: Post, now: datetime) -> bool:
    """A member's reply that waits for approval ended its pause: it stays pending, its
    schedule is spent, and the author of the post it answers hears of it now."""
    if post.publish_at > now:
        return False
    row = (
        await session.exec(
            select(InteractionRequest).where(
                and_(
                    col(InteractionRequest.interacting_post_id) == post.id,
                    col(InteractionRequest.state) == RequestState.pending,
                )
            )
        )
    ).first()
    if row is None:
        return False
    await session.exec(delete(ScheduledPublish).where(col(ScheduledPublish.post_id) == post.id))
    if row.direction == Direction.outgoing:
        await asking.send_at_pause_end(session, row, now)
        await session.commit()
        return True
    await notifications.add(
        session,
        recipient_id=row.author_id,
        kind=PENDING_KINDS[row.kind],
        from_actor_id=row.actor_id,
        post_id=row.target_post_id,
        now=now,
    )
    await session.commit()
    return True
