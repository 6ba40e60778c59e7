"""The outbox: a row for each thing a member did that other servers must hear about.

Written in the caller's transaction, so the change and the duty to tell others commit
together; federation turns each row into activities and deliveries (see DESIGN.md).
Rows whose audience turns out to be only local people are simply fanned out to nobody.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import OutboxItem, OutboxKind


def record(
    session: AsyncSession,
    kind: OutboxKind,
    actor_id: int | None,
    *,
    now: datetime,
    post_id: int | None = None,
    target_actor_id: int | None = None,
    snapshot: dict[str, Any] | None = None,
) -> None:
    """Add an outbox row to the session; the caller commits."""
    assert actor_id is not None
    session.add(
        OutboxItem(
            kind=kind,
            actor_id=actor_id,
            post_id=post_id,
            target_actor_id=target_actor_id,
            snapshot=snapshot or {},
            created_at=now,
        )
    )
