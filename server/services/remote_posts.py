"""Posts from other servers: stored, threaded, edited and deleted as their authors say."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.ids import id_for_time
from server.models import (
    Actor,
    Attachment,
    Follow,
    FollowState,
    Mention,
    Notification,
    Poll,
    Post,
    PostEdit,
    PostState,
    PostTag,
    Tombstone,
    Visibility,
)
from server.models.interaction_policies import PostPolicy
from server.services import (
    counters,
    due,
    feeds,
    notifications,
    quote_answers,
    remote_policies,
    signal_rebuild,
    signal_upkeep,
)
from server.services.arrivals import Arrival, arrival
from server.services.events import Event, EventKind, announce
from server.services.interaction_policies import Policy

#: Tries at a fresh id when two posts collide on one.
ID_ATTEMPTS = 4


@dataclass(frozen=True)
class RemoteMedia:
    url: str
    media_type: str
    description: str
    blurhash: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class RemotePoll:
    options: list[tuple[str, int]]
    multiple: bool
    closes_at: datetime | None
    voters_count: int | None


@dataclass(frozen=True)
class RemotePost:
    """A remote note, parsed, sanitised and with its references resolved by federation."""

    uri: str
    url: str | None
    content_html: str
    text: str
    spoiler_text: str
    sensitive: bool
    visibility: Visibility
    published_at: datetime
    language: str | None
    in_reply_to_id: int | None
    in_reply_to_uri: str | None
    #: The thread the parent is in, when the caller read the parent already.
    root_id: int | None = None
    mention_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    media: list[RemoteMedia] = field(default_factory=list)
    poll: RemotePoll | None = None
    intent: str | None = None
    tone_indicator: str | None = None
    #: The interaction policy its server published (None: it published none).
    policy: Policy | None = None


async def by_uri(session: AsyncSession, uri: str) -> Post | None:
    return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def local_reader(session: AsyncSession, post: Post) -> Actor | None:
    """A member here whom the post's server lets read it, when not everyone may: a
    follower of its author (for a followers-only post) or someone it names. Its server
    may answer anyone else as if the post did not exist."""
    if post.visibility in (Visibility.public, Visibility.unlisted):
        return None
    local = col(Actor.domain).is_(None)
    if post.visibility == Visibility.followers:
        follower = await session.exec(
            select(Actor)
            .join(Follow, col(Follow.follower_id) == Actor.id)
            .where(
                col(Follow.followed_id) == post.actor_id,
                col(Follow.state) == FollowState.accepted,
                local,
            )
            .order_by(col(Actor.id))
            .limit(1)
        )
        if (found := follower.first()) is not None:
            return found
    named = await session.exec(
        select(Actor)
        .join(Mention, col(Mention.actor_id) == Actor.id)
        .where(col(Mention.post_id) == post.id, local)
        .order_by(col(Actor.id))
        .limit(1)
    )
    return named.first()


async def ingest(
    session: AsyncSession,
    author: Actor,
    note: RemotePost,
    now: datetime,
    known: Arrival | None = None,
    held: bool = False,
) -> Post:
    """Store a remote post once; a second delivery returns the stored one unchanged.
    `held`: a reply waiting for its parent's author's approval, kept pending and so
    seen by nobody here (approvals.release_remote publishes it).

    Replies that arrived before this post are attached to it, so threads come whole
    whatever order their posts arrive in. `known`: what the caller read of the note
    (`arrivals.arrival`) in this transaction, so it is not read twice.
    """
    author_id = author.id  # read once: a rollback below expires the row
    assert author_id is not None
    for _ in range(ID_ATTEMPTS):
        found = known or await arrival(session, author_id, note.uri)
        known = None  # a retry, after a rollback, reads again
        if found.stored_id is not None:
            existing = await session.get(Post, found.stored_id)
            if existing is not None:
                # Replies stored while it was (they found no parent yet) join it now.
                if moved := await _adopt_orphans(session, existing, found.waiting_roots):
                    await _replies_joined(session, existing)
                    await signal_rebuild.rethread(session, moved | {existing.root_id})
                    await session.commit()
                return existing
        post = await _new_post(session, author_id, note, now, held)
        session.add(post)
        try:
            await session.flush()
        except IntegrityError:
            # Two posts got the same id (ids of posts published in one second differ
            # only in their random bits), or the same post arrived twice at once.
            await session.rollback()
            continue
        _attach(session, post.id, note)
        if post.in_reply_to_uri is not None:
            due.announce_work(session, due.FEDERATION)  # its parent is to be fetched
        if held:
            await session.commit()
            return post
        moved = await _adopt_orphans(session, post, found.waiting_roots)
        await counters.published(session, post)
        await feeds.place(session, post, new=True)
        if moved:
            await _replies_joined(session, post)
        await notifications.for_new_post(session, post, now, note.mention_ids)
        if moved:
            await signal_rebuild.rethread(session, moved | {post.root_id})
        else:
            await signal_upkeep.record(session, post)
        announce(session, Event(EventKind.post_published, post.id))
        await session.commit()
        return post
    # Not a ServiceError: the sender should hear "try again later" (503), not a refusal.
    raise RuntimeError(f"no free id for {note.uri} after {ID_ATTEMPTS} tries")


async def _replies_joined(session: AsyncSession, post: Post) -> None:
    """Replies that waited for `post` count now, and are replies now (in the feeds)."""
    await counters.recount(session, post_ids=[post.id])
    for child in await session.exec(select(Post).where(Post.in_reply_to_id == post.id)):
        await feeds.place(session, child)


async def _new_post(
    session: AsyncSession, author_id: int, note: RemotePost, now: datetime, held: bool = False
) -> Post:
    published = min(note.published_at, now)
    if published.microsecond == 0:
        # ActivityStreams gives whole seconds; spread the posts of one second over it,
        # so their ids differ in more than 16 random bits.
        published += timedelta(microseconds=secrets.randbelow(1_000_000))
    post_id = id_for_time(min(published, now))
    root_id = post_id
    if note.in_reply_to_id is not None and note.root_id is not None:
        root_id = note.root_id
    elif note.in_reply_to_id is not None:
        parent = await session.get(Post, note.in_reply_to_id)
        root_id = parent.root_id if parent is not None else post_id
    return Post(
        id=post_id,
        actor_id=author_id,
        in_reply_to_id=note.in_reply_to_id,
        in_reply_to_uri=None if note.in_reply_to_id else note.in_reply_to_uri,
        root_id=root_id,
        text=note.text,
        content_html=note.content_html,
        spoiler_text=note.spoiler_text,
        sensitive=note.sensitive,
        visibility=note.visibility,
        state=PostState.pending if held else PostState.published,
        created_at=now,
        publish_at=published,
        published_at=published,
        language=note.language,
        intent=note.intent,
        tone_indicator=note.tone_indicator,
        uri=note.uri,
        url=note.url,
    )


def _attach(session: AsyncSession, post_id: int, note: RemotePost) -> None:
    for actor_id in dict.fromkeys(note.mention_ids):
        session.add(Mention(post_id=post_id, actor_id=actor_id))
    for tag in dict.fromkeys(note.tags):
        session.add(PostTag(post_id=post_id, tag=tag))
    for position, media in enumerate(note.media):
        session.add(
            Attachment(
                post_id=post_id,
                position=position,
                media_type=media.media_type,
                url=media.url,
                description=media.description,
                blurhash=media.blurhash,
                width=media.width,
                height=media.height,
            )
        )
    if note.policy is not None:
        session.add(PostPolicy(post_id=post_id, policy=note.policy.to_json()))
    if note.poll is not None:
        session.add(
            Poll(
                post_id=post_id,
                multiple=note.poll.multiple,
                options=[{"title": t, "votes": v} for t, v in note.poll.options],
                voters_count=note.poll.voters_count,
                closes_at=note.poll.closes_at,
            )
        )


async def _adopt_orphans(session: AsyncSession, parent: Post, moved: set[int]) -> set[int]:
    """Attach replies that arrived before `parent` (`moved`: the threads they lead, read
    with its arrival); returns those threads."""
    if parent.uri is None or not moved:
        return set()  # the usual case: nobody answered it before it arrived
    await session.exec(
        update(Post)
        .where(col(Post.in_reply_to_uri) == parent.uri)
        .values(in_reply_to_id=parent.id, in_reply_to_uri=None, root_id=parent.root_id)
    )
    # Replies to those replies follow their new root as well.
    children = await session.exec(select(Post.id).where(Post.in_reply_to_id == parent.id))
    for child_id in children.all():
        await session.exec(
            update(Post).where(col(Post.root_id) == child_id).values(root_id=parent.root_id)
        )
    return moved


async def orphans(session: AsyncSession, limit: int = 50) -> list[tuple[int, str]]:
    """(post id, parent uri) of replies whose parent has not arrived yet."""
    rows = await session.exec(
        select(Post.id, Post.in_reply_to_uri)
        .where(col(Post.in_reply_to_uri).is_not(None))
        .order_by(col(Post.id).desc())
        .limit(limit)
    )
    return [(i, u) for i, u in rows.all() if u]


async def edit(
    session: AsyncSession, post: Post, note: RemotePost, edited_at: datetime, now: datetime
) -> bool:
    """Apply an author's edit if it is newer than what Porch has; keeps the old version."""
    shown_since = post.edited_at or post.published_at or post.created_at
    # ActivityStreams timestamps carry whole seconds: an edit in the publish second counts.
    if edited_at < shown_since.replace(microsecond=0):
        return False
    if await remote_policies.only_policy_changed(session, post, note):
        return False
    session.add(
        PostEdit(
            post_id=post.id,
            text=post.text,
            content_html=post.content_html,
            spoiler_text=post.spoiler_text,
            created_at=shown_since,
        )
    )
    post.text, post.content_html = note.text, note.content_html
    post.spoiler_text, post.sensitive = note.spoiler_text, note.sensitive
    post.language, post.edited_at = note.language, min(edited_at, now)
    post.intent, post.tone_indicator = note.intent, note.tone_indicator
    post.version += 1  # rendered copies are kept by version: the edit is the next one
    session.add(post)
    for model in (Mention, PostTag, Attachment, Poll, PostPolicy):
        await session.exec(delete(model).where(col(model.post_id) == post.id))
    await session.flush()
    _attach(session, post.id, note)
    await signal_upkeep.edited(session, post)
    await feeds.place(session, post)  # its mentions may have changed
    await quote_answers.quoted_edited(session, post, now)
    announce(session, Event(EventKind.post_edited, post.id))
    await session.commit()
    return True


async def refresh_poll(
    session: AsyncSession, post: Post, options: list[tuple[str, int]], voters_count: int | None
) -> None:
    """New tallies for a remote poll; its choices change only by an edit."""
    poll = await session.get(Poll, post.id)
    if poll is None or [o.get("title") for o in poll.options] != [t for t, _ in options]:
        return
    poll.options = [{"title": t, "votes": v} for t, v in options]
    poll.voters_count = voters_count
    session.add(poll)
    await session.commit()


async def remove(session: AsyncSession, post: Post, now: datetime) -> None:
    """The author deleted the post: it disappears everywhere, and stays gone."""
    if post.uri:
        await session.merge(Tombstone(uri=post.uri, deleted_at=now))
    await session.exec(delete(Notification).where(col(Notification.post_id) == post.id))
    await signal_upkeep.forget(session, post)
    # Its boosts go with it (the foreign key cascades): their authors are recounted.
    boosters = await session.exec(select(Post.actor_id).where(Post.reblog_of_id == post.id))
    booster_ids = set(boosters.all())
    was_published = post.state == PostState.published
    await session.delete(post)
    await session.flush()
    # A reply to a post that is gone no longer counts as a reply to its own author.
    for child in await session.exec(select(Post).where(Post.in_reply_to_id == post.id)):
        await feeds.place(session, child)
    if was_published:
        await counters.unpublished(session, post)
    if booster_ids:
        await counters.recount(session, actor_ids=booster_ids)
    announce(session, Event(EventKind.post_deleted, post.id))
    await session.commit()


async def tombstone(session: AsyncSession, uri: str, now: datetime) -> None:
    """Remember a deleted id Porch never stored, so a late Create is ignored."""
    await session.merge(Tombstone(uri=uri, deleted_at=now))
    await session.commit()
