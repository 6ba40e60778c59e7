"""Mutes: a member stops seeing someone without telling them or cutting the follow."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.models import Actor, Mute
from server.services import paging
from server.services.errors import Invalid
from server.services.events import announce, relation_changed
from server.services.paging import Window
from server.services.rows import insert_once

MAX_DURATION = 10 * 365 * 24 * 3600


async def mute(
    session: AsyncSession,
    actor: Actor,
    target: Actor,
    now: datetime,
    *,
    notifications: bool = True,
    duration: int | None = None,
) -> Mute:
    """Mute `target` (for `duration` seconds, or until unmuted); muting again updates it."""
    if actor.id == target.id:
        raise Invalid("You cannot mute yourself.")
    if duration is not None and not 0 <= duration <= MAX_DURATION:
        raise Invalid(
            "duration must be a number of seconds up to ten years, or 0 for ever.",
            field="duration",
        )
    assert actor.id is not None and target.id is not None
    expires_at = now + timedelta(seconds=duration) if duration else None
    # Insert, or change the mute there is: two mutes sent at once make one row.
    written = await session.exec(
        insert_once(
            session,
            Mute,
            actor_id=actor.id,
            target_id=target.id,
            created_at=now,
            notifications=notifications,
            expires_at=expires_at,
        )
    )
    if written.rowcount != 1:
        await session.exec(
            update(Mute)
            .where(col(Mute.actor_id) == actor.id, col(Mute.target_id) == target.id)
            .values(notifications=notifications, expires_at=expires_at)
        )
    announce(session, relation_changed(actor.id, target.id))
    await session.commit()
    row = (
        await session.exec(
            select(Mute)
            .where(Mute.actor_id == actor.id, Mute.target_id == target.id)
            .execution_options(populate_existing=True)
        )
    ).one()
    return row


async def unmute(session: AsyncSession, actor: Actor, target: Actor, now: datetime) -> None:
    """End `actor`'s mute of `target` (nothing to do if there is none)."""
    assert actor.id is not None
    await session.exec(
        delete(Mute).where(col(Mute.actor_id) == actor.id, col(Mute.target_id) == target.id)
    )
    announce(session, relation_changed(actor.id))
    await session.commit()


def muted_ids(
    actor_id: int | ColumnElement[int],
    now: datetime | ColumnElement[datetime],
    *,
    notifications: bool = False,
) -> SelectOfScalar[int]:
    """The people `actor_id` has muted now (a subquery for `not_in`; either may be a bound
    parameter in a statement built once)."""
    query = select(Mute.target_id).where(
        Mute.actor_id == actor_id,
        or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
    )
    if notifications:
        query = query.where(col(Mute.notifications).is_(True))
    return query


async def listed(
    session: AsyncSession, actor_id: int, window: Window, now: datetime
) -> list[tuple[int, Actor, datetime | None]]:
    """(mute id, person, when the mute ends or None) for the people the member mutes at
    `now`, most recent first; mutes that have ended are not listed."""
    query = (
        select(Mute.id, Actor, Mute.expires_at)
        .join(Actor, col(Actor.id) == Mute.target_id)
        .where(
            Mute.actor_id == actor_id,
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        )
    )
    rows = await paging.rows(session, query, col(Mute.id), window)
    return [(int(i or 0), a, e) for i, a, e in rows]


async def muting(
    session: AsyncSession, actor_id: int, target_id: int, now: datetime
) -> Mute | None:
    """The member's mute of `target_id` in force at `now`, if any."""
    found = await session.exec(
        select(Mute).where(
            Mute.actor_id == actor_id,
            Mute.target_id == target_id,
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        )
    )
    return found.first()
