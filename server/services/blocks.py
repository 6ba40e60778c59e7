"""Blocks: a person shuts another out; follows between them end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Block, Follow, OutboxKind
from server.services import counters, feeds, lists, outbox, paging, stewardship
from server.services.errors import Invalid
from server.services.events import announce, relation_changed
from server.services.paging import Window
from server.services.rows import insert_once


async def between(session: AsyncSession, a: int, b: int) -> bool:
    """Whether either of the two blocked the other."""
    found = await session.exec(
        select(Block.id).where(
            or_(
                and_(col(Block.actor_id) == a, col(Block.target_id) == b),
                and_(col(Block.actor_id) == b, col(Block.target_id) == a),
            )
        )
    )
    return found.first() is not None


async def block(
    session: AsyncSession, actor: Actor, target: Actor, now: datetime, *, uri: str | None = None
) -> Block:
    """`actor` blocks `target`: follows both ways end; blocking twice changes nothing."""
    if actor.id == target.id:
        raise Invalid("You cannot block yourself.")
    assert actor.id is not None and target.id is not None
    # The database decides between two blocks sent at once: one row, one Block sent.
    written = await session.exec(
        insert_once(session, Block, actor_id=actor.id, target_id=target.id, uri=uri, created_at=now)
    )
    row = (
        await session.exec(
            select(Block).where(Block.actor_id == actor.id, Block.target_id == target.id)
        )
    ).one()
    if written.rowcount != 1:
        await session.commit()
        return row
    ended = await session.exec(
        delete(Follow)
        .where(
            or_(
                and_(col(Follow.follower_id) == actor.id, col(Follow.followed_id) == target.id),
                and_(col(Follow.follower_id) == target.id, col(Follow.followed_id) == actor.id),
            )
        )
        .returning(col(Follow.follower_id), col(Follow.followed_id), col(Follow.state))
    )
    await counters.follows_ended(session, ended.all())
    await lists.forget(session, actor.id, target.id)
    await lists.forget(session, target.id, actor.id)
    await session.flush()
    for member_id in (actor.id, target.id):  # blocks work both ways
        await feeds.refeed(session, member_id)
    await stewardship.blocked_or_unblocked(session, actor, target.id)
    if actor.is_local and not target.is_local:
        outbox.record(
            session,
            OutboxKind.block,
            actor.id,
            now=now,
            target_actor_id=target.id,
            payload=outbox.Sent(activity_id=row.activity_id),
        )
    announce(session, relation_changed(actor.id, target.id))
    await session.commit()
    return row


async def unblock(session: AsyncSession, actor: Actor, target: Actor, now: datetime) -> None:
    """Lift a block; when there is none, nothing changes."""
    assert actor.id is not None and target.id is not None
    row = (
        await session.exec(
            select(Block).where(Block.actor_id == actor.id, Block.target_id == target.id)
        )
    ).first()
    if row is None:
        return
    # Conditional: of two take-backs at once, one sends the Undo.
    gone = await session.exec(delete(Block).where(col(Block.id) == row.id))
    if gone.rowcount != 1:
        return
    for member_id in (actor.id, target.id):
        assert member_id is not None
        await feeds.refeed(session, member_id)
    await stewardship.blocked_or_unblocked(session, actor, target.id)
    if actor.is_local and not target.is_local:
        outbox.record(
            session,
            OutboxKind.undo_block,
            actor.id,
            now=now,
            target_actor_id=target.id,
            payload=outbox.Sent(activity_id=row.activity_id),
        )
    announce(session, relation_changed(actor.id, target.id))
    await session.commit()


async def blocked_ids(session: AsyncSession, actor_id: int) -> list[int]:
    rows = await session.exec(select(Block.target_id).where(Block.actor_id == actor_id))
    return list(rows.all())


async def listed(session: AsyncSession, actor_id: int, window: Window) -> list[tuple[int, Actor]]:
    """(block id, person) the member blocked, most recent first."""
    query = (
        select(Block.id, Actor)
        .join(Actor, col(Actor.id) == Block.target_id)
        .where(Block.actor_id == actor_id)
    )
    return [(int(i or 0), a) for i, a in await paging.rows(session, query, col(Block.id), window)]
