"""Likes and boosts: the light ways of answering a post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.ids import id_for_time
from server.models import Actor, Like, NotificationKind, OutboxKind, Post, PostState, Visibility
from server.models.interaction_policies import Interaction
from server.services import (
    approval_gate,
    blocks,
    counters,
    feeds,
    notifications,
    outbox,
    paging,
    signal_upkeep,
)
from server.services.errors import Forbidden, NotFound
from server.services.events import Event, EventKind, announce
from server.services.paging import Window
from server.services.post_reads import get_visible
from server.services.rows import insert_once


async def like(
    session: AsyncSession,
    actor: Actor,
    post_id: int,
    now: datetime,
    *,
    uri: str | None = None,
    approved: bool = False,
) -> Like:
    """`actor` likes a post they can see; liking twice changes nothing. Unless
    `approved` (by the author, or by policy where the like came from), the post's
    policy may refuse it or hold it for the author (approval_gate.Held)."""
    assert actor.id is not None
    post = await get_visible(session, actor.id, post_id)
    await _check_allowed(session, actor, post)
    if not approved:
        await approval_gate.screen(session, actor, post, Interaction.like, now)
    written = await session.exec(
        insert_once(session, Like, actor_id=actor.id, post_id=post.id, uri=uri, created_at=now)
    )
    row = (
        await session.exec(select(Like).where(Like.actor_id == actor.id, Like.post_id == post.id))
    ).one()
    if written.rowcount != 1:  # liked already (or by a request a moment ago)
        await session.commit()
        return row
    await signal_upkeep.count_like(session, post.id, 1)
    await counters.add_to_post(session, post.id, favourites_count=1)
    await notifications.add(
        session,
        recipient_id=post.actor_id,
        kind=NotificationKind.favourite,
        from_actor_id=actor.id,
        post_id=post.id,
        now=now,
    )
    if actor.is_local:
        outbox.record(
            session,
            OutboxKind.like,
            actor.id,
            now=now,
            post_id=post.id,
            payload=outbox.Sent(activity_id=row.activity_id),
        )
    await session.commit()
    return row


async def unlike(session: AsyncSession, actor: Actor, post_id: int, now: datetime) -> None:
    row = (
        await session.exec(select(Like).where(Like.actor_id == actor.id, Like.post_id == post_id))
    ).first()
    if row is None:
        return
    # Conditional: of two take-backs at once, one counts and one Undo goes out.
    gone = await session.exec(delete(Like).where(col(Like.id) == row.id))
    if gone.rowcount != 1:
        return
    await signal_upkeep.count_like(session, post_id, -1)
    await counters.add_to_post(session, post_id, favourites_count=-1)
    if actor.is_local:
        outbox.record(
            session,
            OutboxKind.undo_like,
            actor.id,
            now=now,
            post_id=post_id,
            payload=outbox.Sent(activity_id=row.activity_id),
        )
    await session.commit()


async def like_by_uri(session: AsyncSession, uri: str) -> Like | None:
    return (await session.exec(select(Like).where(Like.uri == uri))).first()


async def boost(
    session: AsyncSession,
    actor: Actor,
    post_id: int,
    now: datetime,
    *,
    uri: str | None = None,
    approved: bool = False,
) -> Post:
    """`actor` shares a public or unlisted post with their followers; twice is once.
    The post's policy decides as for `like`."""
    assert actor.id is not None
    post = await get_visible(session, actor.id, post_id)
    if post.reblog_of_id is not None:
        post = await get_visible(session, actor.id, post.reblog_of_id)
    if post.visibility not in (Visibility.public, Visibility.unlisted):
        raise Forbidden("Only public posts can be boosted.")
    await _check_allowed(session, actor, post)
    if not approved:
        await approval_gate.screen(session, actor, post, Interaction.boost, now)
    # A write on the boosted post first: a second boost sent at the same moment waits
    # here for this transaction (a row lock on PostgreSQL, the write lock on SQLite),
    # then finds this boost instead of adding another.
    await session.exec(
        update(Post).where(col(Post.id) == post.id).values(root_id=col(Post.root_id))
    )
    existing = (
        await session.exec(
            select(Post).where(
                Post.actor_id == actor.id,
                Post.reblog_of_id == post.id,
                col(Post.state) == PostState.published,
            )
        )
    ).first()
    if existing is not None:
        await session.commit()
        return existing
    boost_id = id_for_time(now)
    row = Post(
        id=boost_id,
        actor_id=actor.id,
        root_id=boost_id,
        text="",
        content_html="",
        visibility=post.visibility,
        state=PostState.published,
        created_at=now,
        publish_at=now,
        published_at=now,
        reblog_of_id=post.id,
        uri=uri,
    )
    session.add(row)
    await session.flush()
    await signal_upkeep.count_boost(session, post.id, 1)
    await counters.published(session, row)
    await feeds.place(session, row, new=True)
    await notifications.add(
        session,
        recipient_id=post.actor_id,
        kind=NotificationKind.reblog,
        from_actor_id=actor.id,
        post_id=post.id,
        now=now,
    )
    if actor.is_local:
        outbox.record(session, OutboxKind.announce, actor.id, now=now, post_id=boost_id)
    announce(session, Event(EventKind.post_published, boost_id))
    await session.commit()
    return row


async def unboost(session: AsyncSession, actor: Actor, post_id: int, now: datetime) -> None:
    """Take back a boost of `post_id`; when there is none, nothing changes."""
    row = (
        await session.exec(
            select(Post).where(Post.actor_id == actor.id, Post.reblog_of_id == post_id)
        )
    ).first()
    if row is None:
        return
    # Conditional: of two take-backs at once, one counts and one Undo goes out.
    gone = await session.exec(delete(Post).where(col(Post.id) == row.id))
    if gone.rowcount != 1:
        return
    if actor.is_local:
        outbox.record(
            session,
            OutboxKind.undo_announce,
            actor.id,
            now=now,
            payload=outbox.Unboost(boost_id=row.id, post_id=post_id),
        )
    await signal_upkeep.count_boost(session, post_id, -1)
    await counters.unpublished(session, row)
    announce(session, Event(EventKind.post_deleted, row.id))
    await session.commit()


async def boost_by_uri(session: AsyncSession, uri: str) -> Post | None:
    return (
        await session.exec(select(Post).where(Post.uri == uri, col(Post.reblog_of_id).is_not(None)))
    ).first()


async def _check_allowed(session: AsyncSession, actor: Actor, post: Post) -> None:
    assert actor.id is not None
    if await blocks.between(session, actor.id, post.actor_id):
        raise Forbidden("You cannot interact with this person.")
    if post.state != PostState.published:
        raise NotFound("This post does not exist, or you cannot see it.")


async def likers(
    session: AsyncSession, viewer_id: int | None, post_id: int, window: Window
) -> list[tuple[int, Actor]]:
    """(like id, person) who liked a post the viewer can see, most recent first."""
    await get_visible(session, viewer_id, post_id)
    query = (
        select(Like.id, Actor)
        .join(Actor, col(Actor.id) == Like.actor_id)
        .where(Like.post_id == post_id, col(Actor.suspended_at).is_(None))
    )
    return [(int(i or 0), a) for i, a in await paging.rows(session, query, col(Like.id), window)]


async def boosters(
    session: AsyncSession, viewer_id: int | None, post_id: int, window: Window
) -> list[tuple[int, Actor]]:
    """(boost id, person) who boosted a post the viewer can see, most recent first."""
    await get_visible(session, viewer_id, post_id)
    query = (
        select(Post.id, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            Post.reblog_of_id == post_id,
            col(Post.state) == PostState.published,
            col(Actor.suspended_at).is_(None),
        )
    )
    return [(int(i), a) for i, a in await paging.rows(session, query, col(Post.id), window)]


async def liked_by(session: AsyncSession, actor_id: int, window: Window) -> list[tuple[int, int]]:
    """(like id, post id) of the member's likes, most recent first (GET /favourites)."""
    query = select(Like.id, Like.post_id).where(Like.actor_id == actor_id)
    return [(int(i or 0), p) for i, p in await paging.rows(session, query, col(Like.id), window)]
