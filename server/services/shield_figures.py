"""How often the pile-on shield went up, and how often authors turned it off: for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import PileOnShield
from server.models.shields import ENDED_BY_AUTHOR


@dataclass(frozen=True)
class Span:
    """Shields raised in the last `days` days, and how many of those their author ended."""

    days: int
    fired: int
    turned_off: int


async def figures(session: AsyncSession, now: datetime) -> list[Span]:
    """The shield's figures for the last 7 and 30 days (one statement each). Counts only:
    nothing names a member or a thread."""
    spans = []
    for days in (7, 30):
        turned_off = func.count(col(PileOnShield.id)).filter(
            col(PileOnShield.ended_by) == ENDED_BY_AUTHOR
        )
        row = (
            await session.exec(
                select(func.count(col(PileOnShield.id)), turned_off).where(
                    col(PileOnShield.started_at) > now - timedelta(days=days),
                    col(PileOnShield.started_at) <= now,
                )
            )
        ).one()
        spans.append(Span(days, int(row[0]), int(row[1])))
    return spans
