"""Following: who hears from whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Notification, NotificationKind, OutboxKind
from server.services import (
    blocks,
    counters,
    feeds,
    lists,
    notifications,
    outbox,
    paging,
    states,
    stats,
)
from server.services.errors import Forbidden, Invalid, NotFound
from server.services.events import announce, relation_changed
from server.services.paging import Window
from server.services.rows import insert_once


@dataclass(frozen=True)
class Counts:
    followers: int
    following: int


async def follow(
    session: AsyncSession, follower: Actor, target: Actor, now: datetime, *, uri: str | None = None
) -> Follow:
    """`follower` follows `target`; following twice changes nothing.

    A locked local account, or any remote one (until its server accepts), gets a
    request instead. A follow from elsewhere carries its activity `uri`.
    """
    if follower.id == target.id:
        raise Invalid("You cannot follow yourself.")
    assert follower.id is not None and target.id is not None
    if await blocks.between(session, follower.id, target.id):
        raise Forbidden("You cannot follow this person.")
    requested = target.locked or not target.is_local
    existing = await find(session, follower.id, target.id)
    written = None
    if existing is None:
        # The database decides between two follows sent at once: one row, one notice.
        written = await session.exec(
            insert_once(
                session,
                Follow,
                follower_id=follower.id,
                followed_id=target.id,
                state=FollowState.requested if requested else FollowState.accepted,
                created_at=now,
                uri=uri,
            )
        )
        existing = await find(session, follower.id, target.id)
        assert existing is not None
    if written is None or written.rowcount != 1:
        if uri and existing.uri != uri:  # a re-sent Follow: answer to its new id
            existing.uri = uri
            session.add(existing)
            await _answer_remote(session, existing, target, now)
        await session.commit()
        return existing
    row = existing
    if row.state == FollowState.accepted:
        await counters.followed(session, follower.id, target.id, 1)
        await feeds.refeed(session, follower.id)  # their posts come in, bounded
    if target.is_local:
        kind = NotificationKind.follow_request if requested else NotificationKind.follow
        await notifications.add(
            session,
            recipient_id=target.id,
            kind=kind,
            from_actor_id=follower.id,
            post_id=None,
            now=now,
        )
        await _answer_remote(session, row, target, now)
    elif follower.is_local:
        outbox.record(
            session,
            OutboxKind.follow,
            follower.id,
            now=now,
            target_actor_id=target.id,
            payload=outbox.Sent(activity_id=row.activity_id),
        )
    announce(session, relation_changed(follower.id, target.id))
    await session.commit()
    return row


async def _answer_remote(session: AsyncSession, row: Follow, target: Actor, now: datetime) -> None:
    """Tell a remote follower their follow of a local member was accepted."""
    follower = await session.get(Actor, row.follower_id)
    if follower is not None and not follower.is_local and row.state == FollowState.accepted:
        outbox.record(
            session,
            OutboxKind.accept_follow,
            target.id,
            now=now,
            target_actor_id=follower.id,
            payload=outbox.Answer(follow_uri=row.uri),
        )


async def unfollow(session: AsyncSession, follower: Actor, target: Actor, now: datetime) -> None:
    """Stop following `target` (or withdraw a request); when not following, nothing changes."""
    assert follower.id is not None and target.id is not None
    existing = await find(session, follower.id, target.id)
    if existing is None:
        return
    # Conditional: of two take-backs at once, one sends the Undo.
    gone = await _delete(session, existing)
    if gone is None:
        return
    await lists.forget(session, follower.id, target.id)  # lists hold people one follows
    await feeds.refeed(session, follower.id)
    if follower.is_local and not target.is_local:
        outbox.record(
            session,
            OutboxKind.undo_follow,
            follower.id,
            now=now,
            target_actor_id=target.id,
            payload=outbox.Sent(activity_id=existing.activity_id),
        )
    announce(session, relation_changed(follower.id, target.id))
    await session.commit()


async def accepted_by_remote(session: AsyncSession, follow: Follow) -> None:
    """The remote account accepted a local member's follow (again: nothing changes)."""
    assert follow.id is not None
    if await states.move(session, Follow, follow.id, FollowState.requested, FollowState.accepted):
        announce(
            session,
            relation_changed(follow.follower_id, follow.followed_id),
        )
        await counters.followed(session, follow.follower_id, follow.followed_id, 1)
        await feeds.refeed(session, follow.follower_id)
    await session.commit()


async def requests_for(session: AsyncSession, actor_id: int) -> list[tuple[Follow, Actor]]:
    """Follow requests waiting for `actor_id` to answer, oldest first."""
    rows = await session.exec(
        select(Follow, Actor)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == FollowState.requested)
        .order_by(col(Follow.id))
    )
    return [(f, a) for f, a in rows.all()]


async def answer_request(
    session: AsyncSession, target: Actor, follower_id: int, approve: bool, now: datetime
) -> None:
    """`target` approves or rejects a follow request; remote followers are told."""
    assert target.id is not None
    row = await find(session, follower_id, target.id)
    if row is None or row.state != FollowState.requested:
        raise NotFound("That follow request is not waiting any more.")
    follower = await session.get(Actor, follower_id)
    assert follower is not None
    # Conditional on the request still waiting: of two answers at once (two tabs, an
    # app and the web) one lands, with one notification and one Accept or Reject.
    assert row.id is not None
    if approve:
        if not await states.move(
            session, Follow, row.id, FollowState.requested, FollowState.accepted
        ):
            raise NotFound("That follow request is not waiting any more.")
        await counters.followed(session, follower_id, target.id, 1)
        await session.refresh(row)
        await feeds.refeed(session, follower_id)
        await notifications.add(
            session,
            recipient_id=target.id,
            kind=NotificationKind.follow,
            from_actor_id=follower_id,
            post_id=None,
            now=now,
        )
        await _answer_remote(session, row, target, now)
        announce(
            session,
            relation_changed(follower_id, target.id),
        )
    else:
        if not await states.leave(session, Follow, row.id, FollowState.requested):
            raise NotFound("That follow request is not waiting any more.")
        if not follower.is_local:
            outbox.record(
                session,
                OutboxKind.reject_follow,
                target.id,
                now=now,
                target_actor_id=follower_id,
                payload=outbox.Answer(follow_uri=row.uri),
            )
    await session.exec(
        delete(Notification).where(
            col(Notification.recipient_id) == target.id,
            col(Notification.from_actor_id) == follower_id,
            col(Notification.kind) == NotificationKind.follow_request,
        )
    )
    await session.commit()


async def remove(session: AsyncSession, follow: Follow) -> None:
    """End a follow because the other server said so (Undo, Reject): nothing is sent back."""
    await _delete(session, follow)
    announce(
        session,
        relation_changed(follow.follower_id, follow.followed_id),
    )
    await feeds.refeed(session, follow.follower_id)
    await session.commit()


async def _delete(session: AsyncSession, follow: Follow) -> FollowState | None:
    """Delete `follow` if it is still there, counting it down if it was accepted; its
    state, or None when another request took it away first."""
    gone = await session.exec(
        delete(Follow).where(col(Follow.id) == follow.id).returning(col(Follow.state))
    )
    state = gone.scalar_one_or_none()
    if state is not None:
        await counters.follows_ended(session, [(follow.follower_id, follow.followed_id, state)])
    return None if state is None else FollowState(state)


async def has_local_follower(session: AsyncSession, actor_id: int) -> bool:
    """Whether anyone here follows `actor_id` (so their posts concern this server)."""
    found = await session.exec(
        select(Follow.id)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(
            Follow.followed_id == actor_id,
            Follow.state == FollowState.accepted,
            col(Actor.domain).is_(None),
        )
        .limit(1)
    )
    return found.first() is not None


async def by_uri(session: AsyncSession, uri: str) -> Follow | None:
    return (await session.exec(select(Follow).where(Follow.uri == uri))).first()


async def find(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    result = await session.exec(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )
    return result.first()


async def counts(session: AsyncSession, actor_id: int) -> Counts:
    """Accepted followers and follows of `actor_id`, from their counter row."""
    figures = (await stats.of_accounts(session, [actor_id]))[actor_id]
    return Counts(followers=figures.followers, following=figures.following)


async def followers_of(
    session: AsyncSession, actor_id: int, window: Window | None = None
) -> list[tuple[int, Actor]]:
    """(follow id, person) following `actor_id`, most recent first."""
    listed, anchor = col(Follow.follower_id), col(Follow.followed_id)
    return await _people(session, listed, anchor, actor_id, window)


async def followed_by(
    session: AsyncSession, actor_id: int, window: Window | None = None
) -> list[tuple[int, Actor]]:
    """(follow id, person) `actor_id` follows, most recent first."""
    listed, anchor = col(Follow.followed_id), col(Follow.follower_id)
    return await _people(session, listed, anchor, actor_id, window)


async def _people(
    session: AsyncSession,
    listed: Mapped[int],
    anchor: Mapped[int],
    actor_id: int,
    window: Window | None,
) -> list[tuple[int, Actor]]:
    window = window or Window(limit=80)
    query = (
        select(Follow.id, Actor)
        .join(Follow, listed == Actor.id)
        .where(anchor == actor_id, Follow.state == FollowState.accepted)
    )
    found = await paging.rows(session, query, col(Follow.id), window)
    return [(int(follow_id), actor) for follow_id, actor in found if follow_id is not None]


async def by_activity_id(session: AsyncSession, activity_id: str) -> Follow | None:
    """The follow whose Follow activity Porch sent with this token (Accept, Reject)."""
    return (await session.exec(select(Follow).where(Follow.activity_id == activity_id))).first()


async def remote_followers(session: AsyncSession, actor_id: int) -> list[Actor]:
    """People on other servers whose follow of `actor_id` is accepted: the audience
    of what they post to followers."""
    rows = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.follower_id) == Actor.id)
        .where(
            Follow.followed_id == actor_id,
            Follow.state == FollowState.accepted,
            col(Actor.domain).is_not(None),
        )
    )
    return list(rows.all())
