"""Delivery: signed POSTs of outgoing activities, retried with backoff until they land."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import col, select

from federation.fetch import BlockedAddress, FetchError, post_activity
from federation.runtime import Federation
from server.models import Delivery, DeliveryState
from server.services import domains, states

log = logging.getLogger(__name__)

#: About two days of retries, as Mastodon's 16 Sidekiq attempts.
MAX_ATTEMPTS = 16
#: A claimed delivery is not picked again for this long (a crashed worker's lease ends).
LEASE = timedelta(minutes=5)
CONCURRENCY = 64
PER_DOMAIN = 8


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta | None:
    """Delay before attempt `attempt + 1` after `attempt` failures; None when to give up.

    attempt⁴ + 15 s plus up to 50 % jitter, Mastodon's schedule: 16 s, 31 s, 96 s, …
    about two days in all.
    """
    if attempt >= MAX_ATTEMPTS:
        return None
    base = attempt**4 + 15
    return timedelta(seconds=base * (1 + 0.5 * (rng or random).random()))


def permanent(exc: FetchError) -> bool:
    """Whether a failed delivery can never land, so it is not tried again.

    Addresses the guard refuses stay refused, and an inbox that answers with a redirect
    is not followed (a POST is never redirected), so both are final. So is a 4xx,
    except 401 (the key may not be fetched yet), 408 and 429, as in Mastodon's
    DeliveryWorker.
    """
    if isinstance(exc, BlockedAddress):
        return True
    if exc.status is None:
        return not exc.temporary
    if 300 <= exc.status < 400:
        return True
    return 400 <= exc.status < 500 and exc.status not in (401, 408, 429)


async def deliver_due(fed: Federation, limit: int = 1000) -> int:
    """Attempt every delivery that is due; returns how many were delivered."""
    now = fed.clock.now()
    lease = now + LEASE
    due = (
        select(Delivery.id)
        .where(col(Delivery.state) == DeliveryState.pending, col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.id))
        .limit(limit)
        # PostgreSQL: rows another sweeper is claiming are skipped, not waited for.
        .with_for_update(skip_locked=True)
    )
    async with fed.sessions() as session:
        # One statement claims the rows and says which it claimed. The conditions are
        # repeated outside the subquery: a row another sweeper claimed meanwhile no
        # longer matches them, so it is never claimed twice.
        ids = await states.move_all(
            session,
            Delivery,
            col(Delivery.id).in_(due.scalar_subquery()) & (col(Delivery.next_attempt_at) <= now),
            DeliveryState.pending,
            DeliveryState.pending,
            values={"next_attempt_at": lease},
        )
        await session.commit()
        if not ids:
            return 0
        rows = (await session.exec(select(Delivery).where(col(Delivery.id).in_(ids)))).all()
    everyone = asyncio.Semaphore(CONCURRENCY)
    per_domain: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_DOMAIN))

    async def one(row: Delivery) -> bool:
        async with everyone, per_domain[row.domain]:
            return await _attempt(fed, row)

    results = await asyncio.gather(*(one(r) for r in rows))
    return sum(results)


async def _attempt(fed: Federation, row: Delivery) -> bool:
    auth = await fed.auth_for_id(row.actor_id)
    if auth is None:
        return False
    status: int | None = None
    error = ""
    delay: timedelta | None = None
    try:
        # A new signature each attempt: Mastodon refuses signatures older than an hour.
        status = await post_activity(fed.client, row.inbox_url, row.body.encode(), auth)
    except FetchError as exc:
        status, error = exc.status, str(exc)[:1000]
        if not permanent(exc):
            delay = retry_delay(row.attempts + 1)
            if exc.retry_after is not None and delay is not None:
                delay = max(delay, timedelta(seconds=min(exc.retry_after, 86400)))
    now = fed.clock.now()
    await _record(fed, row, now, status, error, delay)
    return not error


async def _record(
    fed: Federation,
    row: Delivery,
    now: datetime,
    status: int | None,
    error: str,
    delay: timedelta | None,
) -> None:
    values: dict[str, object] = {"attempts": Delivery.attempts + 1, "last_status": status}
    if not error:
        outcome = DeliveryState.delivered
        values |= {"finished_at": now, "last_error": ""}
    elif delay is None:
        outcome = DeliveryState.failed
        values |= {"finished_at": now, "last_error": error}
    else:
        outcome = DeliveryState.pending
        values |= {"next_attempt_at": now + delay, "last_error": error}
    assert row.id is not None
    async with fed.sessions() as session:
        # Only a pending row changes: a finished one stays as its sweeper left it.
        await states.move(session, Delivery, row.id, DeliveryState.pending, outcome, values=values)
        await session.commit()
        if not error:
            await fed.heard(session, row.domain)
        elif delay is None and row.attempts + 1 >= MAX_ATTEMPTS:
            await domains.record_exhausted(session, row.domain, now)
    if error:
        log.info("delivery %s to %s failed (%s): %s", row.id, row.inbox_url, status, error)
