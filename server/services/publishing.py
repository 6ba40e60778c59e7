"""Publishing: the moment a pending post ends its pause and reaches other people."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import OutboxKind, Post, PostState, ScheduledPublish
from server.services import (
    counters,
    feeds,
    moments,
    notifications,
    outbox,
    quote_requests,
    signal_upkeep,
    states,
    waiting_replies,
)

log = logging.getLogger(__name__)


async def publish(session: AsyncSession, post_id: int, now: datetime) -> bool:
    """Publish one post if it is pending and its pause is over; True if this call did it.

    Idempotent: the state change is a conditional update, so a second run, a run racing
    with another worker, or a run after a withdrawal does nothing.
    """
    published = await states.move(
        session,
        Post,
        post_id,
        PostState.pending,
        PostState.published,
        values={"published_at": now},
        where=[col(Post.publish_at) <= now, waiting_replies.not_waiting()],
    )
    if not published:
        post = await session.get(Post, post_id)
        if post is not None and post.state == PostState.pending:
            # A reply waiting for approval ends its pause and waits on, unpublished.
            await waiting_replies.held_at_pause_end(session, post, now)
        else:
            # Published by another worker, or withdrawn: the schedule row is spent.
            await session.exec(
                delete(ScheduledPublish).where(col(ScheduledPublish.post_id) == post_id)
            )
            await session.commit()
        return False
    post = await session.get(Post, post_id, populate_existing=True)
    assert post is not None
    # What else publishing writes goes here, one call each, in this one transaction. Each
    # runs a fixed number of statements however many people the post reaches (batched
    # SELECTs, one INSERT for many rows): tests/test_few_statements.py holds the total.
    await notifications.for_new_post(session, post, now)
    await signal_upkeep.record(session, post)
    await counters.published(session, post)
    await feeds.place(session, post, new=True)  # until now in its author's home only
    outbox.record(session, OutboxKind.create, post.actor_id, post_id=post.id, now=now)
    await quote_requests.published(session, post, now)  # after the Create: asks after
    await moments.published(session, post_id)  # the pause ended as written, unless edited
    await session.exec(delete(ScheduledPublish).where(col(ScheduledPublish.post_id) == post_id))
    await session.commit()
    log.info("published post %s", post_id)
    return True


async def due(session: AsyncSession, now: datetime, limit: int = 100) -> list[int]:
    """Ids of posts whose scheduled publish time has come."""
    rows = await session.exec(
        select(ScheduledPublish.post_id)
        .where(col(ScheduledPublish.run_at) <= now)
        .order_by(col(ScheduledPublish.run_at))
        .limit(limit)
    )
    return list(rows.all())


async def record_failure(session: AsyncSession, post_id: int, error: str) -> None:
    """Note a failed attempt on the row, so the sweep retries it and admins can see why."""
    await session.exec(
        update(ScheduledPublish)
        .where(col(ScheduledPublish.post_id) == post_id)
        .values(attempts=ScheduledPublish.attempts + 1, last_error=error[:1000])
    )
    await session.commit()
