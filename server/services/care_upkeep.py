"""The worker's periodic care upkeep: what followed each moment, then retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.services import care_retention, follow_ups, norms


@dataclass(frozen=True)
class Upkeep:
    """What one run did: events followed up, rows folded away."""

    followed_up: int
    folded: int


async def run(session: AsyncSession, settings: Settings, now: datetime) -> Upkeep:
    """Follow up every moment whose windows have passed, then fold what is past keeping.
    Safe to run any number of times, from any number of workers: each step only picks
    rows not yet done."""
    in_force = await norms.current(session, settings)
    followed = await follow_ups.follow_up(session, tuple(in_force["tone.phrases"]), now)
    folded = await care_retention.fold(session, int(in_force["outcomes.keep_days"]), now)
    return Upkeep(followed, folded)
