"""Idempotency keys: an app that retries a post it may have sent gets the same post back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import IdempotencyKey

#: As long as Mastodon remembers them.
LIFETIME = timedelta(hours=1)


async def post_for(session: AsyncSession, actor_id: int, key: str, now: datetime) -> int | None:
    """The post an earlier request with this key made, if it was in the last hour."""
    row = await session.exec(
        select(IdempotencyKey.post_id).where(
            IdempotencyKey.actor_id == actor_id,
            IdempotencyKey.key == key[:128],
            col(IdempotencyKey.created_at) > now - LIFETIME,
        )
    )
    return row.first()


async def remember(
    session: AsyncSession, actor_id: int, key: str, post_id: int, now: datetime
) -> None:
    """Note the key for `post_id`, forgetting the member's keys older than an hour."""
    await session.exec(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.actor_id) == actor_id,
            (col(IdempotencyKey.created_at) <= now - LIFETIME)
            | (col(IdempotencyKey.key) == key[:128]),
        )
    )  # type: ignore[call-overload]
    session.add(IdempotencyKey(actor_id=actor_id, key=key[:128], post_id=post_id, created_at=now))
    await session.commit()
