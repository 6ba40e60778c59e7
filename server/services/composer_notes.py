"""What the composer tells a member before they write: how long the pause will be, and
when a spent daily budget frees up. The same rules the post itself will meet, read ahead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind
from server.services import care, relationships
from server.services.budgets import Budget
from server.services.posting_rules import Rules


def spoken(length: timedelta) -> str:
    """A length of time in plain words: "30 seconds", "5 minutes", "1 hour 30 minutes"."""
    seconds = max(0, int(length.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    hours, minutes = divmod((seconds + 59) // 60, 60)  # a part minute counts as one
    parts = []
    if hours:
        parts.append(f"{hours} hour{'' if hours == 1 else 's'}")
    if minutes:
        parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return " ".join(parts)


async def expected_pause(
    session: AsyncSession,
    author_id: int,
    answered_id: int | None,
    rules: Rules,
    now: datetime,
) -> timedelta:
    """The pause a post (`answered_id` None) or a reply to `answered_id` will wait, by the
    situation the norms name: a post, a reply, a reply inside an exchange between mutuals,
    a first reply to a stranger. Wording kept as written after the tone check, or a
    slowed thread, can lengthen it; the composer says so when it happens."""
    if answered_id is None:
        return rules.pause_post
    situation = await relationships.reply_situation(session, author_id, answered_id, now)
    if situation is relationships.Situation.mutual_exchange:
        return rules.pause_mutual_reply
    if situation is relationships.Situation.stranger:
        return rules.pause_stranger_reply
    return rules.pause_reply


@dataclass(frozen=True)
class Spent:
    """A daily budget with nothing left: how many posts it allows, and when one frees up."""

    limit: int
    free_at: datetime
    wait: str


def spent(budget: Budget | None, now: datetime) -> Spent | None:
    """The spent budget, or None while posts are left."""
    if budget is None or budget.left > 0 or budget.next_free_at is None:
        return None
    return Spent(budget.limit, budget.next_free_at, spoken(budget.next_free_at - now))


async def first_showing_of_rules(session: AsyncSession, actor_id: int, now: datetime) -> bool:
    """Whether the newcomer rules are shown to `actor_id` now: once, the first time the
    composer opens, then remembered (a care event) so later posts are not lectured."""
    found = await session.exec(
        select(CareEvent.id)
        .where(CareEvent.actor_id == actor_id, CareEvent.kind == CareKind.rules_shown)
        .limit(1)
    )
    if found.first() is not None:
        return False
    await care.shown(session, CareKind.rules_shown, now, actor_id=actor_id)
    return True
