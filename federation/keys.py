"""Local signing keys: each member's RSA-2048 pair, and the instance actor's."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.signatures import KeyPair
from server.models import Actor, ActorKey
from server.urls import Urls

#: The instance actor's row: not a member, so no page, no posts; it only signs.
INSTANCE_ACCT_KEY = "!instance"


async def local_key(session: AsyncSession, urls: Urls, actor: Actor) -> ActorKey:
    """The actor's key pair, made on first use (RSA generation runs off the event loop)."""
    assert actor.id is not None and actor.domain is None
    key_id = (
        urls.instance_key_id()
        if actor.acct_key == INSTANCE_ACCT_KEY
        else urls.key_id(actor.username)
    )
    found = (await session.exec(select(ActorKey).where(ActorKey.key_id == key_id))).first()
    if found is not None:
        return found
    pair = await asyncio.to_thread(KeyPair.generate)
    key = ActorKey(
        actor_id=actor.id, key_id=key_id, public_pem=pair.public_pem, private_pem=pair.private_pem
    )
    session.add(key)
    try:
        await session.commit()
    except IntegrityError:  # another request made it first: use theirs
        await session.rollback()
        return (await session.exec(select(ActorKey).where(ActorKey.key_id == key_id))).one()
    return key


async def instance_actor(session: AsyncSession, urls: Urls) -> Actor:
    """The instance actor's row, created on first use."""
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
    session.add(actor)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return (await session.exec(query)).one()
    return actor


async def instance_key(session: AsyncSession, urls: Urls) -> tuple[Actor, ActorKey]:
    actor = await instance_actor(session, urls)
    return actor, await local_key(session, urls, actor)
