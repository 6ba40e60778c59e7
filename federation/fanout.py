"""Fan-out: each outbox row becomes one activity and a delivery row per remote inbox."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import vocab
from federation.documents import note_source, person_document
from federation.incoming import host
from federation.runtime import Federation
from server.models import (
    Actor,
    Delivery,
    Follow,
    FollowState,
    OutboxItem,
    OutboxKind,
    Post,
    Visibility,
)
from server.services import domains

log = logging.getLogger(__name__)


async def fan_out_due(fed: Federation, limit: int = 50) -> int:
    """Fan out outbox rows not yet fanned out; returns how many were."""
    async with fed.sessions() as session:
        ids = (
            await session.exec(
                select(OutboxItem.id)
                .where(col(OutboxItem.fanned_out_at).is_(None))
                .order_by(col(OutboxItem.id))
                .limit(limit)
            )
        ).all()
    done = 0
    for item_id in ids:
        async with fed.sessions() as session:
            # Claim the row first: a second sweeper finds it taken and moves on.
            claimed = await session.exec(
                update(OutboxItem)
                .where(col(OutboxItem.id) == item_id, col(OutboxItem.fanned_out_at).is_(None))
                .values(fanned_out_at=fed.clock.now())
            )  # type: ignore[call-overload]
            if claimed.rowcount != 1:
                continue
            item = await session.get(OutboxItem, item_id)
            assert item is not None
            try:
                await _fan_out(fed, session, item)
            except Exception:
                log.exception("fanning out outbox item %s failed; it will be retried", item_id)
                await session.rollback()
                continue
            await session.commit()
            done += 1
    return done


async def _fan_out(fed: Federation, session: AsyncSession, item: OutboxItem) -> None:
    actor = await session.get(Actor, item.actor_id)
    if actor is None or actor.domain is not None:
        return
    built = await _build(fed, session, item, actor)
    if built is None:
        return
    activity, inboxes = built
    skip = await domains.blocked(session) | await domains.unavailable(session)
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    for inbox in sorted(set(inboxes)):
        domain = host(inbox)
        if not domain or domain in skip or fed.urls.is_local(inbox):
            continue
        session.add(
            Delivery(
                outbox_item_id=item.id,
                actor_id=item.actor_id,
                inbox_url=inbox,
                domain=domain,
                body=body,
                created_at=fed.clock.now(),
                next_attempt_at=fed.clock.now(),
            )
        )


def _inbox(actor: Actor) -> str | None:
    """Where to deliver to someone: their server's shared inbox when it has one."""
    return actor.shared_inbox_url or actor.inbox_url


async def _remote_followers(session: AsyncSession, actor_id: int) -> list[str]:
    rows = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.follower_id) == Actor.id)
        .where(
            Follow.followed_id == actor_id,
            Follow.state == FollowState.accepted,
            col(Actor.domain).is_not(None),
        )
    )
    return [i for a in rows.all() if (i := _inbox(a))]


async def _build(
    fed: Federation, session: AsyncSession, item: OutboxItem, actor: Actor
) -> tuple[dict[str, Any], list[str]] | None:
    urls = fed.urls
    me = urls.actor(actor.username)
    target = await session.get(Actor, item.target_actor_id) if item.target_actor_id else None
    snap = item.snapshot
    match item.kind:
        case OutboxKind.create | OutboxKind.update | OutboxKind.delete:
            post = await session.get(Post, item.post_id) if item.post_id else None
            if post is None:
                return None
            source = await note_source(session, urls, post, actor)
            inboxes = [i for a in source.mentions if a.domain and (i := _inbox(a))]
            if post.visibility != Visibility.direct:
                inboxes += await _remote_followers(session, actor.id or 0)
                parent = await _parent_author(session, post)
                if parent is not None and parent.domain and (i := _inbox(parent)):
                    inboxes.append(i)
            if item.kind == OutboxKind.create:
                return vocab.create(urls, source), inboxes
            if item.kind == OutboxKind.update:
                return vocab.update_note(urls, source, post.edited_at or fed.clock.now()), inboxes
            to, cc = vocab.addressing(urls, source)
            return vocab.delete_note(me, urls.post(actor.username, post.id), to, cc), inboxes
        case OutboxKind.announce | OutboxKind.undo_announce:
            boost_id = item.post_id if item.kind == OutboxKind.announce else snap.get("boost_id")
            original_id = snap.get("post_id") if item.kind == OutboxKind.undo_announce else None
            if original_id is None and item.post_id is not None:
                boost = await session.get(Post, item.post_id)
                original_id = boost.reblog_of_id if boost else None
            original = await session.get(Post, original_id) if original_id else None
            author = await session.get(Actor, original.actor_id) if original else None
            if original is None or author is None or boost_id is None:
                return None
            activity = vocab.announce(
                urls.post(actor.username, int(boost_id)) + "/activity",
                me,
                urls.followers(actor.username),
                urls.of_post(original, author),
                urls.of_actor(author),
                item.created_at,
            )
            inboxes = await _remote_followers(session, actor.id or 0)
            if author.domain and (i := _inbox(author)):
                inboxes.append(i)
            if item.kind == OutboxKind.undo_announce:
                activity = _undo(activity, me)
            return activity, inboxes
        case OutboxKind.like | OutboxKind.undo_like:
            post = await session.get(Post, item.post_id) if item.post_id else None
            author = await session.get(Actor, post.actor_id) if post else None
            if post is None or author is None or not author.domain or not _inbox(author):
                return None
            activity = vocab.simple(
                urls.activity("like", int(snap["like_id"])), "Like", me, urls.of_post(post, author)
            )
            if item.kind == OutboxKind.undo_like:
                activity = _undo(activity, me)
            return activity, [_inbox(author) or ""]
        case OutboxKind.follow | OutboxKind.undo_follow | OutboxKind.block | OutboxKind.undo_block:
            if target is None or not target.inbox_url:
                return None
            kind = "Follow" if item.kind in (OutboxKind.follow, OutboxKind.undo_follow) else "Block"
            row_id = int(snap.get("follow_id") or snap.get("block_id") or 0)
            activity = vocab.simple(
                urls.activity(kind.lower(), row_id), kind, me, urls.of_actor(target)
            )
            if item.kind in (OutboxKind.undo_follow, OutboxKind.undo_block):
                activity = _undo(activity, me)
            # Follows and blocks go to the person's own inbox, not their server's.
            return activity, [target.inbox_url]
        case OutboxKind.accept_follow | OutboxKind.reject_follow:
            if target is None or not target.inbox_url or not snap.get("follow_uri"):
                return None
            follow = {
                "id": snap["follow_uri"],
                "type": "Follow",
                "actor": urls.of_actor(target),
                "object": me,
            }
            kind = "Accept" if item.kind == OutboxKind.accept_follow else "Reject"
            activity_id = f"{me}#{kind.lower()}s/follows/{snap.get('follow_id')}"
            return vocab.simple(activity_id, kind, me, follow), [target.inbox_url]
        case OutboxKind.update_actor:
            doc = await person_document(session, urls, actor)
            activity = vocab.update_actor(doc, urls.followers(actor.username), item.created_at)
            return activity, await _remote_followers(session, actor.id or 0)
    return None


def _undo(activity: dict[str, Any], actor_id: str) -> dict[str, Any]:
    return vocab.simple(activity["id"] + "/undo", "Undo", actor_id, vocab.embedded(activity))


async def _parent_author(session: AsyncSession, post: Post) -> Actor | None:
    if post.in_reply_to_id is None:
        return None
    parent = await session.get(Post, post.in_reply_to_id)
    return await session.get(Actor, parent.actor_id) if parent else None
