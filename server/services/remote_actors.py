"""People on other servers: what Porch stores about them, and when they leave."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, union, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, ActorKey, Follow, Like, Notification, Post, Tombstone
from server.services import counters, feeds, statements
from server.services.events import Event, EventKind, announce


@dataclass(frozen=True)
class RemoteProfile:
    """A remote actor document, already validated and sanitised by federation."""

    uri: str
    username: str
    domain: str
    actor_type: str
    display_name: str
    bio: str  # plain text
    url: str | None
    inbox_url: str
    shared_inbox_url: str | None
    followers_url: str | None
    avatar_url: str | None
    header_url: str | None
    locked: bool
    discoverable: bool
    key_id: str
    public_pem: str


async def by_uri(session: AsyncSession, uri: str) -> Actor | None:
    return (await session.exec(select(Actor).where(Actor.uri == uri))).first()


async def by_key_id(session: AsyncSession, key_id: str) -> tuple[Actor, ActorKey] | None:
    """The actor owning `key_id` and the key, if Porch has it."""
    row = (
        await session.exec(
            select(Actor, ActorKey)
            .join(ActorKey, col(ActorKey.actor_id) == Actor.id)
            .where(ActorKey.key_id == key_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def by_key_id_of(session: AsyncSession, actor_id: int) -> str | None:
    """The key id Porch holds for an actor."""
    found = await session.exec(select(ActorKey.key_id).where(ActorKey.actor_id == actor_id))
    return found.first()


async def by_acct(session: AsyncSession, username: str, domain: str) -> Actor | None:
    key = f"{username}@{domain}".lower()
    return (await session.exec(select(Actor).where(Actor.acct_key == key))).first()


async def known_accts(session: AsyncSession, handles: Collection[str]) -> set[str]:
    """Which of the user@domain `handles` Porch knows, lowercased (one query for all)."""
    keys = {h.lower() for h in handles}
    if not keys:
        return set()
    found = await session.exec(select(Actor.acct_key).where(col(Actor.acct_key).in_(keys)))
    return set(found.all())


async def store(session: AsyncSession, profile: RemoteProfile, now: datetime) -> Actor:
    """Insert or refresh a remote actor and its public key; commits."""
    actor = await by_uri(session, profile.uri)
    if actor is None:
        actor = Actor(uri=profile.uri, username=profile.username[:64], created_at=now, acct_key="")
    actor.username = profile.username[:64]
    actor.domain = profile.domain
    actor.acct_key = f"{profile.username}@{profile.domain}".lower()[:320]
    actor.actor_type = profile.actor_type
    actor.display_name = profile.display_name[:100]
    actor.bio = profile.bio[:2000]
    actor.url = profile.url
    actor.inbox_url = profile.inbox_url
    actor.shared_inbox_url = profile.shared_inbox_url
    actor.followers_url = profile.followers_url
    actor.avatar_url = profile.avatar_url
    actor.header_url = profile.header_url
    actor.locked = profile.locked
    actor.discoverable = profile.discoverable
    actor.fetched_at = now
    session.add(actor)
    try:
        await session.flush()
    except IntegrityError:
        # Another request stored this actor (or an old one held the handle) first.
        await session.rollback()
        await session.exec(
            update(Actor)
            .where(col(Actor.acct_key) == f"{profile.username}@{profile.domain}".lower())
            .where(or_(col(Actor.uri).is_(None), col(Actor.uri) != profile.uri))
            .values(acct_key=Actor.acct_key + "~" + str(int(now.timestamp())))
        )
        _changed(session, 0)  # some other actor, by handle
        await session.commit()
        return await store(session, profile, now)
    assert actor.id is not None
    key = (await session.exec(select(ActorKey).where(ActorKey.actor_id == actor.id))).first()
    if key is None:
        key = ActorKey(actor_id=actor.id, key_id=profile.key_id, public_pem=profile.public_pem)
    key.key_id, key.public_pem = profile.key_id, profile.public_pem
    session.add(key)
    _changed(session, actor.id)
    await session.commit()
    return actor


async def remove(session: AsyncSession, actor: Actor, now: datetime) -> None:
    """The person deleted their account: their posts, follows, likes and key go.

    The row stays (notifications and tombstones refer to it), without a key, so nothing
    more is accepted from them unless their server serves the actor again.
    """
    assert actor.id is not None and actor.domain is not None
    readers = await feeds.readers_of(session, actor.id)
    uris = await session.exec(
        select(Post.uri).where(Post.actor_id == actor.id, col(Post.uri).is_not(None))
    )
    for uri in uris.all():
        if uri:
            await session.merge(Tombstone(uri=uri, deleted_at=now))
    touched = await _counted_with(session, actor.id)
    await session.exec(delete(Post).where(col(Post.actor_id) == actor.id))
    for model, column in (
        (Follow, Follow.follower_id),
        (Follow, Follow.followed_id),
        (Like, Like.actor_id),
        (Notification, Notification.from_actor_id),
        (ActorKey, ActorKey.actor_id),
    ):
        await session.exec(delete(model).where(col(column) == actor.id))
    actor.display_name, actor.bio, actor.avatar_url = "", "", None
    actor.suspended_at = now
    session.add(actor)
    await session.flush()
    # Many rows went at once: the counts they were part of are recounted.
    post_ids, actor_ids = touched
    await counters.recount(session, post_ids=post_ids, actor_ids=actor_ids | {actor.id})
    for reader in readers:  # replies to their posts may read differently now
        await feeds.refeed(session, reader)
    _changed(session, actor.id)
    await session.commit()


async def _counted_with(session: AsyncSession, actor_id: int) -> tuple[set[int], set[int]]:
    """The posts and people whose counts include `actor_id`'s posts, likes and follows."""
    mine = select(Post.id).where(col(Post.actor_id) == actor_id)
    answered = select(Post.in_reply_to_id).where(
        col(Post.actor_id) == actor_id, col(Post.in_reply_to_id).is_not(None)
    )
    boosted = select(Post.reblog_of_id).where(
        col(Post.actor_id) == actor_id, col(Post.reblog_of_id).is_not(None)
    )
    liked = select(Like.post_id).where(col(Like.actor_id) == actor_id)
    posts = await statements.execute(session, union(answered, boosted, liked))
    boosters = select(Post.actor_id).where(col(Post.reblog_of_id).in_(mine))
    followers = select(Follow.follower_id).where(col(Follow.followed_id) == actor_id)
    followed = select(Follow.followed_id).where(col(Follow.follower_id) == actor_id)
    people = await statements.execute(session, union(boosters, followers, followed))
    return {int(i) for i in posts.scalars().all()}, {int(i) for i in people.scalars().all()}


def _changed(session: AsyncSession, actor_id: int) -> None:
    """What is kept of a remote actor and their key (the signer cache) is stale once this
    commits; 0 for every remote actor."""
    announce(session, Event(EventKind.stale, actor_id, topic="remote_actor"))
