"""Work that falls due by time: when the sweeps must next look, and telling them sooner.

The sweeps (server/jobs.py) sleep until the next row is due instead of polling. These
are the reads of when that is (each one indexed statement), and the event a change
announces when it creates work due sooner than the sweeps expect: a new outbox row to
fan out, a reply whose parent is to be fetched, a post waiting out its pause. The event
reaches the sweeps in this process and, through Redis, the workers of every other.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Delivery, DeliveryState, OutboxItem, OutgoingMail, ScheduledPublish
from server.services.events import PENDING, Event, EventKind, announce

#: The sweep that publishes posts whose pause is over.
PUBLISH = "publish"
#: The sweep that fans out outbox rows, sends deliveries and fetches missing parents.
FEDERATION = "federation"
#: The sweep that sends queued mail (server/mail.py).
MAIL = "mail"
QUEUES = (PUBLISH, FEDERATION, MAIL)


def work_due(queue: str) -> Event:
    """The event that wakes the sweep `queue` (PUBLISH or FEDERATION)."""
    return Event(EventKind.work_due, 0, topic=queue)


def announce_work(session: AsyncSession, queue: str) -> None:
    """Wake the sweep `queue` when `session` commits (once, however many rows it adds)."""
    event = work_due(queue)
    if event not in session.info.get(PENDING, ()):
        announce(session, event)


async def next_publish(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next scheduled publish is due (perhaps already), or None if none waits."""
    rows = await session.exec(
        select(ScheduledPublish.run_at).order_by(col(ScheduledPublish.run_at)).limit(1)
    )
    return rows.first()


async def next_federation(session: AsyncSession, now: datetime) -> datetime | None:
    """When federation next has something to do: `now` if an outbox row waits to be fanned
    out, else the next pending delivery's attempt (a claimed one's lease end), else None.

    Replies waiting for their parent are not timed: their fetch is tried when the reply
    arrives (announced by the inbox), and one that failed is not tried again.
    """
    waiting = await session.exec(
        select(OutboxItem.id).where(col(OutboxItem.fanned_out_at).is_(None)).limit(1)
    )
    if waiting.first() is not None:
        return now
    # Served by ix_deliveries_state_next (state, next_attempt_at).
    soonest = await session.exec(
        select(Delivery.next_attempt_at)
        .where(col(Delivery.state) == DeliveryState.pending)
        .order_by(col(Delivery.next_attempt_at))
        .limit(1)
    )
    return soonest.first()


async def next_mail(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next queued mail is due (perhaps already), or None if none waits."""
    rows = await session.exec(
        select(OutgoingMail.next_attempt_at).order_by(col(OutgoingMail.next_attempt_at)).limit(1)
    )
    return rows.first()
