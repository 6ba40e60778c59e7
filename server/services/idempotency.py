"""Idempotency keys: an app that retries a post it may have sent gets the same post back.

The key is stored in the transaction that writes the post, under a unique (member, key)
row, so a post and its key are committed or dropped together. Of several requests with
one key, the first to store it posts; the others wait for its transaction (PostgreSQL
holds the second insert until the first commits, SQLite's write lock does the same) and
answer with its post.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import IdempotencyKey
from server.services.errors import Conflict
from server.services.rows import insert_once

#: As long as Mastodon remembers them.
LIFETIME = timedelta(hours=1)
#: Keys are compared on their first 128 characters (the column's size).
KEY_CHARS = 128


async def post_for(session: AsyncSession, actor_id: int, key: str, now: datetime) -> int | None:
    """The post an earlier request with this key made, if it was in the last hour."""
    row = await session.exec(
        select(IdempotencyKey.post_id).where(
            IdempotencyKey.actor_id == actor_id,
            IdempotencyKey.key == key[:KEY_CHARS],
            col(IdempotencyKey.created_at) > now - LIFETIME,
        )
    )
    return row.first()


async def claim(
    session: AsyncSession, actor_id: int, key: str, post_id: int, now: datetime
) -> int | None:
    """Store the key for `post_id` in the caller's transaction (the caller commits).

    Returns None when the key is now this post's, or the post another request stored
    it for first (that request's transaction has committed by then): the caller then
    drops its own post and answers with that one. The member's keys older than an hour
    are forgotten on the way, so a key can be used again after its lifetime.
    """
    await session.exec(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.actor_id) == actor_id,
            col(IdempotencyKey.created_at) <= now - LIFETIME,
        )
    )
    stored = await session.exec(
        insert_once(
            session,
            IdempotencyKey,
            actor_id=actor_id,
            key=key[:KEY_CHARS],
            post_id=post_id,
            created_at=now,
        )
    )
    if stored.rowcount == 1:
        return None
    earlier = await post_for(session, actor_id, key, now)
    if earlier is None:  # its post was withdrawn a moment ago, taking the key with it
        raise Conflict("A request with this Idempotency-Key just changed; send it again.")
    return earlier
