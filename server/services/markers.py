"""Reading positions: where a member stopped in their home timeline and notifications."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Marker
from server.services.errors import Invalid

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
    if not last_read_id.isdigit() or len(last_read_id) > 20:
        raise Invalid(
            "last_read_id must be the id of a status or notification.", field="last_read_id"
        )
    marker = await session.get(Marker, (actor_id, timeline))
    if marker is None:
        marker = Marker(
            actor_id=actor_id, timeline=timeline, last_read_id=last_read_id, updated_at=now
        )
    else:
        marker.last_read_id, marker.version, marker.updated_at = (
            last_read_id,
            marker.version + 1,
            now,
        )
    session.add(marker)
    await session.commit()
    return marker
