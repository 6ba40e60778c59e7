"""Fan-out: each outbox row becomes one activity (built by federation/builders.py) and a
delivery row per remote inbox."""

from __future__ import annotations

import json
import logging

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.builders import BUILDERS, Outgoing
from federation.incoming import host
from federation.runtime import Federation
from server.models import Actor, Delivery, OutboxItem
from server.services import domains

log = logging.getLogger(__name__)


async def fan_out_due(fed: Federation, limit: int = 50) -> int:
    """Fan out outbox rows not yet fanned out; returns how many were."""
    async with fed.sessions() as session:
        ids = (
            await session.exec(
                select(OutboxItem.id)
                .where(col(OutboxItem.fanned_out_at).is_(None))
                .order_by(col(OutboxItem.id))
                .limit(limit)
            )
        ).all()
    done = 0
    for item_id in ids:
        async with fed.sessions() as session:
            # Claim the row first: a second sweeper finds it taken and moves on.
            claimed = await session.exec(
                update(OutboxItem)
                .where(col(OutboxItem.id) == item_id, col(OutboxItem.fanned_out_at).is_(None))
                .values(fanned_out_at=fed.clock.now())
            )
            if claimed.rowcount != 1:
                continue
            item = await session.get(OutboxItem, item_id)
            assert item is not None
            try:
                await _fan_out(fed, session, item)
            except Exception:
                log.exception("fanning out outbox item %s failed; it will be retried", item_id)
                await session.rollback()
                continue
            await session.commit()
            done += 1
    return done


async def _fan_out(fed: Federation, session: AsyncSession, item: OutboxItem) -> None:
    actor = await session.get(Actor, item.actor_id)
    if actor is None or actor.domain is not None:
        return
    built = await BUILDERS[item.kind](Outgoing(fed, session, item, actor))
    if built is None:
        return
    assert item.id is not None  # a stored row
    skip = await domains.blocked(session) | await domains.unavailable(session)
    body = json.dumps(built.activity, ensure_ascii=False, separators=(",", ":"))
    for inbox in sorted(set(built.inboxes)):
        domain = host(inbox)
        if not domain or domain in skip or fed.urls.is_local(inbox):
            continue
        session.add(
            Delivery(
                outbox_item_id=item.id,
                actor_id=built.signer_id or item.actor_id,
                inbox_url=inbox,
                domain=domain,
                body=body,
                created_at=fed.clock.now(),
                next_attempt_at=fed.clock.now(),
            )
        )
