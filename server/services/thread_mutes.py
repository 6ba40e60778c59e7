"""Muted threads: a member hears nothing more from a conversation they have had enough of."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, literal, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Bookmark, Post, ThreadMute
from server.services.rows import insert_once


async def mute(session: AsyncSession, actor: Actor, post: Post, now: datetime) -> None:
    """Mute the thread `post` belongs to for `actor`: replies, mentions, likes and boosts
    within it no longer notify them (muting twice is muting once)."""
    assert actor.id is not None
    await session.exec(
        insert_once(session, ThreadMute, actor_id=actor.id, root_id=post.root_id, created_at=now)
    )
    await session.commit()


async def unmute(session: AsyncSession, actor: Actor, post: Post, now: datetime) -> None:
    """Hear from the thread `post` belongs to again."""
    assert actor.id is not None
    await session.exec(
        delete(ThreadMute).where(
            col(ThreadMute.actor_id) == actor.id, col(ThreadMute.root_id) == post.root_id
        )
    )
    await session.commit()


async def among(session: AsyncSession, actor_id: int, posts: Collection[Post]) -> set[int]:
    """The ids of those of `posts` whose thread `actor_id` muted."""
    roots = {p.root_id for p in posts}
    if not roots:
        return set()
    found = await session.exec(
        select(ThreadMute.root_id).where(
            col(ThreadMute.actor_id) == actor_id, col(ThreadMute.root_id).in_(roots)
        )
    )
    muted = set(found.all())
    return {p.id for p in posts if p.root_id in muted}


async def marks(
    session: AsyncSession, actor_id: int, posts: Collection[Post]
) -> tuple[set[int], set[int]]:
    """Which of `posts` the member bookmarked, and which are in threads they muted: the
    viewer's marks on a page of statuses, in one statement."""
    if not posts:
        return set(), set()
    ids = list({p.id for p in posts})
    roots = list({p.root_id for p in posts})
    both: Any = union_all(
        select(literal("bookmark"), Bookmark.post_id).where(
            col(Bookmark.actor_id) == actor_id, col(Bookmark.post_id).in_(ids)
        ),
        select(literal("muted"), ThreadMute.root_id).where(
            col(ThreadMute.actor_id) == actor_id, col(ThreadMute.root_id).in_(roots)
        ),
    )
    rows = await session.exec(both)
    bookmarked: set[int] = set()
    muted_roots: set[int] = set()
    for kind, found in rows.all():
        (bookmarked if kind == "bookmark" else muted_roots).add(found)
    return bookmarked, {p.id for p in posts if p.root_id in muted_roots}
