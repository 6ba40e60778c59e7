"""Local signing keys: each member's RSA-2048 pair, and the instance actor's."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.signatures import KeyPair
from server.clock import utcnow
from server.models import Actor, ActorKey
from server.services.rows import insert_once
from server.urls import Urls

#: The instance actor's row: not a member, so no page, no posts; it only signs.
INSTANCE_ACCT_KEY = "!instance"


async def local_key(session: AsyncSession, urls: Urls, actor: Actor) -> ActorKey:
    """The actor's key pair, made on first use (RSA generation runs off the event loop).

    Servers fetch a new member's actor document many at once, so several requests may
    make a pair: the database keeps the first and the others read it. Nothing is rolled
    back, since a rollback expires every row the caller holds (`actor` included) and
    reading an expired row again outside the async driver fails with MissingGreenlet.
    """
    assert actor.id is not None and actor.domain is None
    key_id = (
        urls.instance_key_id()
        if actor.acct_key == INSTANCE_ACCT_KEY
        else urls.key_id(actor.username)
    )
    query = select(ActorKey).where(ActorKey.key_id == key_id)
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    pair = await asyncio.to_thread(KeyPair.generate)
    written = await session.exec(
        insert_once(
            session,
            ActorKey,
            actor_id=actor.id,
            key_id=key_id,
            public_pem=pair.public_pem,
            private_pem=pair.private_pem,
            created_at=utcnow(),
        )
    )
    if written.rowcount:
        await session.commit()
    return (await session.exec(query)).one()


async def instance_actor(session: AsyncSession, urls: Urls) -> Actor:
    """The instance actor's row, created on first use (by one request of any that race)."""
    query = select(Actor).where(col(Actor.acct_key) == INSTANCE_ACCT_KEY)
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    actor = Actor(
        username=urls.host,
        acct_key=INSTANCE_ACCT_KEY,
        actor_type="Application",
        locked=True,
        discoverable=False,
    )
    written = await session.exec(insert_once(session, Actor, **actor.model_dump(exclude={"id"})))
    if written.rowcount:
        await session.commit()
    return (await session.exec(query)).one()


async def instance_key(session: AsyncSession, urls: Urls) -> tuple[Actor, ActorKey]:
    actor = await instance_actor(session, urls)
    return actor, await local_key(session, urls, actor)
