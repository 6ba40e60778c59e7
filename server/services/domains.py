"""Remote servers: admins' policies for them, and how deliveries there are going."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Delivery, DeliveryState, Domain, DomainPolicy, Follow
from server.services import counters, feeds
from server.services.errors import Invalid
from server.services.events import Event, EventKind, announce

#: Mastodon marks a server unavailable after deliveries ran out of retries on 7 days.
FAILURE_DAYS_THRESHOLD = 7


def normalise(domain: str) -> str:
    """Lower-cased host (with port), refusing what cannot be a domain."""
    value = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not value or "/" in value or " " in value or "@" in value or len(value) > 255:
        raise Invalid("Give a domain such as mastodon.example.", field="domain")
    return value


async def policy_of(session: AsyncSession, domain: str) -> DomainPolicy:
    row = await session.get(Domain, domain.lower())
    return DomainPolicy(row.policy) if row else DomainPolicy.none


async def set_policy(
    session: AsyncSession, domain: str, policy: DomainPolicy, reason: str, now: datetime
) -> Domain:
    """Set how Porch treats a server: none, limit or block."""
    name = normalise(domain)
    row = await session.get(Domain, name) or Domain(domain=name)
    row.policy, row.reason, row.updated_at = policy, reason.strip()[:1000], now
    session.add(row)
    if policy is DomainPolicy.block:
        # As Mastodon does: a blocked server's people stop following and being followed
        # here, and nothing more is delivered there.
        there = select(Actor.id).where(col(Actor.domain) == name)
        ended = await session.exec(
            delete(Follow)
            .where(or_(col(Follow.follower_id).in_(there), col(Follow.followed_id).in_(there)))
            .returning(col(Follow.follower_id), col(Follow.followed_id), col(Follow.state))
        )
        ended_rows = ended.all()
        await counters.follows_ended(session, ended_rows)
        followers_here = sorted({follower for follower, _, _ in ended_rows})
        await session.exec(
            delete(Delivery).where(
                col(Delivery.domain) == name, col(Delivery.state) == DeliveryState.pending
            )
        )
        await session.flush()
        for member_id in followers_here:  # their home loses the server's people
            await feeds.refeed(session, member_id)
    # What is kept of its people (the signer cache) and of policies is judged afresh.
    announce(session, Event(EventKind.stale, 0, topic="domain"))
    await session.commit()
    return row


async def with_policies(session: AsyncSession) -> list[Domain]:
    rows = await session.exec(
        select(Domain).where(col(Domain.policy) != DomainPolicy.none).order_by(col(Domain.domain))
    )
    return list(rows.all())


async def not_answering(session: AsyncSession) -> list[Domain]:
    """Servers whose deliveries ran out of retries lately, worst first."""
    rows = await session.exec(select(Domain).where(col(Domain.policy) != DomainPolicy.block))
    troubled = [d for d in rows.all() if d.failure_days or d.unavailable_since]
    return sorted(troubled, key=lambda d: (-len(d.failure_days), d.domain))


async def blocked(session: AsyncSession) -> set[str]:
    rows = await session.exec(select(Domain.domain).where(Domain.policy == DomainPolicy.block))
    return set(rows.all())


async def unavailable(session: AsyncSession) -> set[str]:
    rows = await session.exec(
        select(Domain.domain).where(col(Domain.unavailable_since).is_not(None))
    )
    return set(rows.all())


async def record_success(session: AsyncSession, domain: str, now: datetime) -> None:
    """A delivery or a signed request from there worked: the server is available."""
    row = await session.get(Domain, domain) or Domain(domain=domain)
    last = row.last_success_at
    if not row.failure_days and last is not None and (now - last).total_seconds() < 3600:
        return  # recorded recently and nothing to reset: spare the write
    row.failure_days, row.unavailable_since, row.last_success_at = [], None, now
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # recorded by a concurrent request a moment ago
        await session.rollback()


async def record_exhausted(session: AsyncSession, domain: str, now: datetime) -> None:
    """A delivery there ran out of retries today; after enough such days it is unavailable."""
    row = await session.get(Domain, domain) or Domain(domain=domain)
    day = now.date().isoformat()
    if day not in row.failure_days:
        row.failure_days = [*row.failure_days, day][-FAILURE_DAYS_THRESHOLD:]
    if len(row.failure_days) >= FAILURE_DAYS_THRESHOLD and row.unavailable_since is None:
        row.unavailable_since = now.date()
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # another delivery there recorded the same day just now
        await session.rollback()
