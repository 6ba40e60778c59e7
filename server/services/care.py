"""Recording what the relational features did, for the admins' dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind, NormChange

#: What a member may answer to each kind (a pause's outcome is what happened to the post,
#: written by server/services/moments.py, never answered).
OUTCOMES = {
    CareKind.tone_nudge: ("rephrased", "draft", "as_written"),
    CareKind.card: ("didnt_fit",),
    CareKind.slow_mode: (),
    CareKind.rules_shown: (),
    CareKind.pause: (),
    CareKind.shield: (),
}


def norms_version() -> Any:
    """The norms version in force, as SQL evaluated when the row is written (no read of
    its own): the latest norm change's id, 0 before any change."""
    return select(func.coalesce(func.max(NormChange.id), 0)).scalar_subquery()


def moment(
    kind: CareKind,
    now: datetime,
    *,
    actor_id: int | None,
    target_id: int | None = None,
    post_id: int | None = None,
    reply_id: int | None = None,
    detail: str = "",
    arm: str = "",
) -> CareEvent:
    """A care event for the caller to add to its own transaction."""
    event = CareEvent(
        kind=kind,
        detail=detail,
        actor_id=actor_id,
        target_id=target_id,
        post_id=post_id,
        reply_id=reply_id,
        arm=arm,
        created_at=now,
    )
    event.norms_version = norms_version()
    return event


async def shown(
    session: AsyncSession,
    kind: CareKind,
    now: datetime,
    *,
    actor_id: int | None,
    target_id: int | None = None,
    post_id: int | None = None,
    detail: str = "",
    arm: str = "",
) -> int:
    """Note that a nudge or card was shown (or held back: `arm`, see
    server/services/experiment_arms.py), or a thread slowed; returns its id."""
    event = moment(
        kind,
        now,
        actor_id=actor_id,
        target_id=target_id,
        post_id=post_id,
        detail=detail,
        arm=arm,
    )
    session.add(event)
    await session.commit()
    assert event.id is not None
    return event.id


async def answered(
    session: AsyncSession, event_id: int | None, actor_id: int, outcome: str
) -> None:
    """What the member did after a nudge or card (only their own events, once)."""
    if event_id is None:
        return
    event = await session.get(CareEvent, event_id)
    if event is None or event.actor_id != actor_id or event.outcome:
        return
    if outcome not in OUTCOMES.get(CareKind(event.kind), ()):
        return
    event.outcome = outcome
    session.add(event)
    await session.commit()
