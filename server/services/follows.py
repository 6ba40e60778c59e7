"""Following: who hears from whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, NotificationKind
from server.services import notifications
from server.services.errors import Invalid


@dataclass(frozen=True)
class Counts:
    followers: int
    following: int


async def follow(session: AsyncSession, follower: Actor, target: Actor, now: datetime) -> Follow:
    """Follow `target`; following twice changes nothing."""
    if follower.id == target.id:
        raise Invalid("You cannot follow yourself.")
    assert follower.id is not None and target.id is not None
    existing = await find(session, follower.id, target.id)
    if existing is not None:
        return existing
    state = FollowState.requested if target.locked else FollowState.accepted
    row = Follow(follower_id=follower.id, followed_id=target.id, state=state, created_at=now)
    session.add(row)
    if state is FollowState.accepted:
        notifications.add(
            session,
            recipient_id=target.id,
            kind=NotificationKind.follow,
            from_actor_id=follower.id,
            post_id=None,
            now=now,
        )
    await session.commit()
    return row


async def unfollow(session: AsyncSession, follower: Actor, target: Actor) -> None:
    """Stop following `target`; unfollowing someone not followed changes nothing."""
    await session.exec(
        delete(Follow).where(
            col(Follow.follower_id) == follower.id, col(Follow.followed_id) == target.id
        )
    )  # type: ignore[call-overload]
    await session.commit()


async def find(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    result = await session.exec(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )
    return result.first()


async def counts(session: AsyncSession, actor_id: int) -> Counts:
    accepted = col(Follow.state) == FollowState.accepted
    followers = (
        select(func.count()).select_from(Follow).where(Follow.followed_id == actor_id, accepted)
    ).scalar_subquery()
    following = (
        select(func.count()).select_from(Follow).where(Follow.follower_id == actor_id, accepted)
    ).scalar_subquery()
    row = (await session.exec(select(followers, following))).one()
    return Counts(followers=int(row[0]), following=int(row[1]))


async def followers_of(session: AsyncSession, actor_id: int, limit: int = 80) -> list[Actor]:
    """People following `actor_id`, most recent first."""
    return await _people(session, col(Follow.follower_id), col(Follow.followed_id), actor_id, limit)


async def followed_by(session: AsyncSession, actor_id: int, limit: int = 80) -> list[Actor]:
    """People `actor_id` follows, most recent first."""
    return await _people(session, col(Follow.followed_id), col(Follow.follower_id), actor_id, limit)


async def _people(
    session: AsyncSession,
    listed: InstrumentedAttribute[int],
    anchor: InstrumentedAttribute[int],
    actor_id: int,
    limit: int,
) -> list[Actor]:
    rows = await session.exec(
        select(Actor)
        .join(Follow, listed == Actor.id)
        .where(anchor == actor_id, Follow.state == FollowState.accepted)
        .order_by(col(Follow.id).desc())
        .limit(limit)
    )
    return list(rows.all())
