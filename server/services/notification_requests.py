"""The filtered inbox: notifications a member's policy kept apart, counted per person,
until the member accepts that person (their notifications join the others, and no
filter holds back the next ones) or dismisses them (those notifications are removed).

A request is the filtered notifications from one person; its id is that person's id,
so accepting or dismissing one twice, or from two apps at once, does the same thing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import utcnow
from server.models import Actor, Block, Notification, NotificationPermission, Post
from server.services import mutes, paging
from server.services.errors import NotFound
from server.services.paging import Window
from server.services.rows import insert_once


@dataclass(frozen=True)
class Request:
    """The filtered notifications from one person."""

    from_actor: Actor
    count: int
    last_at: datetime
    #: The newest of their posts among them (None if none is about a post).
    last_post_id: int | None

    @property
    def id(self) -> int:
        assert self.from_actor.id is not None
        return self.from_actor.id


def _waiting(actor_id: int, now: datetime | None) -> list[ColumnElement[bool]]:
    """The member's filtered notifications from people they neither blocked nor muted
    with their notifications, and who are not suspended (those wait for nothing)."""
    sender = col(Notification.from_actor_id)
    blocked = select(Block.target_id).where(col(Block.actor_id) == actor_id)
    suspended = select(Actor.id).where(col(Actor.suspended_at).is_not(None))
    muted = mutes.muted_ids(actor_id, now or utcnow(), notifications=True)
    return [
        col(Notification.recipient_id) == actor_id,
        col(Notification.filtered).is_(True),
        sender.not_in(blocked),
        sender.not_in(suspended),
        sender.not_in(muted),
    ]


async def listed(
    session: AsyncSession, actor_id: int, window: Window, now: datetime | None = None
) -> list[Request]:
    """The member's requests, one per person, by person id newest first (as Mastodon
    pages requests by id); people muted at `now` are left out."""
    sender = col(Notification.from_actor_id)
    query = (
        select(
            sender,
            func.count(col(Notification.id)),
            func.max(Notification.created_at),
            func.max(Notification.post_id),
        )
        .where(*_waiting(actor_id, now))
        .group_by(sender)
    )
    rows = await paging.rows(session, query, sender, window)
    people = {
        a.id: a
        for a in (
            await session.exec(select(Actor).where(col(Actor.id).in_([r[0] for r in rows])))
        ).all()
    }
    return [
        Request(people[sender_id], int(count), last, post_id)
        for sender_id, count, last, post_id in rows
        if sender_id in people
    ]


async def one(
    session: AsyncSession, actor_id: int, request_id: int, now: datetime | None = None
) -> Request:
    """The member's request from person `request_id`; NotFound when none waits."""
    found = await listed(
        session, actor_id, Window(limit=1, max_id=request_id + 1, since_id=request_id - 1), now
    )
    if not found:
        raise NotFound("There is no such notification request.")
    return found[0]


async def accept(
    session: AsyncSession, actor_id: int, request_ids: Collection[int], now: datetime
) -> None:
    """Accept the people behind `request_ids`: their filtered notifications join the
    member's others, and no filter holds back their next ones. Unknown ids do nothing."""
    ids = sorted(set(request_ids))
    if not ids:
        return
    known = await session.exec(select(Actor.id).where(col(Actor.id).in_(ids)))
    for from_actor_id in known.all():
        await session.exec(
            insert_once(
                session,
                NotificationPermission,
                actor_id=actor_id,
                from_actor_id=from_actor_id,
                created_at=now,
            )
        )
    await session.exec(
        update(Notification)
        .where(
            col(Notification.recipient_id) == actor_id,
            col(Notification.from_actor_id).in_(ids),
            col(Notification.filtered).is_(True),
        )
        .values(filtered=False)
    )
    await session.commit()


async def dismiss(session: AsyncSession, actor_id: int, request_ids: Collection[int]) -> None:
    """Dismiss the requests `request_ids`: their filtered notifications are removed (the
    next ones from those people are filtered again)."""
    ids = sorted(set(request_ids))
    if not ids:
        return
    await session.exec(
        delete(Notification).where(
            col(Notification.recipient_id) == actor_id,
            col(Notification.from_actor_id).in_(ids),
            col(Notification.filtered).is_(True),
        )
    )
    await session.commit()


@dataclass(frozen=True)
class Summary:
    """How much waits in the filtered inbox."""

    requests: int
    notifications: int


async def summary(session: AsyncSession, actor_id: int, now: datetime | None = None) -> Summary:
    """The number of people and of notifications waiting in the member's filtered inbox."""
    row = (
        await session.exec(
            select(
                func.count(func.distinct(Notification.from_actor_id)),
                func.count(col(Notification.id)),
            ).where(*_waiting(actor_id, now))
        )
    ).one()
    return Summary(int(row[0]), int(row[1]))


async def last_posts(session: AsyncSession, requests: Collection[Request]) -> dict[int, Post]:
    """The posts requests name as their last, by id (the caller checks who may see them)."""
    ids = [r.last_post_id for r in requests if r.last_post_id is not None]
    if not ids:
        return {}
    found = await session.exec(select(Post).where(col(Post.id).in_(ids)))
    return {p.id: p for p in found.all()}
