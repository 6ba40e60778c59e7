"""Reading positions: where a member stopped in their home timeline and notifications."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.ids import parse_id
from server.models import Marker
from server.services.errors import Invalid
from server.services.rows import insert_once

TIMELINES = ("home", "notifications")


async def of(session: AsyncSession, actor_id: int, timelines: Collection[str]) -> list[Marker]:
    wanted = [t for t in timelines if t in TIMELINES]
    if not wanted:
        return []
    rows = await session.exec(
        select(Marker).where(Marker.actor_id == actor_id, col(Marker.timeline).in_(wanted))
    )
    return list(rows.all())


async def save(
    session: AsyncSession, actor_id: int, timeline: str, last_read_id: str, now: datetime
) -> Marker:
    """Move a reading position; each save bumps its version."""
    if timeline not in TIMELINES:
        raise Invalid("Markers are kept for home and notifications only.", field="timeline")
    if parse_id(last_read_id) is None:
        raise Invalid(
            "last_read_id must be the id of a status or notification.", field="last_read_id"
        )
    # One statement each, so saves at the same moment each count: none is lost, and
    # the first two cannot both insert.
    written = await session.exec(
        insert_once(
            session,
            Marker,
            actor_id=actor_id,
            timeline=timeline,
            last_read_id=last_read_id,
            version=1,
            updated_at=now,
        )
    )
    if written.rowcount != 1:
        await session.exec(
            update(Marker)
            .where(col(Marker.actor_id) == actor_id, col(Marker.timeline) == timeline)
            .values(last_read_id=last_read_id, version=col(Marker.version) + 1, updated_at=now)
        )
    await session.commit()
    marker = await session.get(Marker, (actor_id, timeline), populate_existing=True)
    assert marker is not None
    return marker
