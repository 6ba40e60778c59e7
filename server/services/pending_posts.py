"""A member's posts waiting out their pause, as apps that know scheduled posts read them.

A post in its pause is pending with a scheduled publish (server/models/publishing.py):
that row says when it goes out. Posts pending for another reason (waiting for an
author's approval after their pause) have no such row and are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Attachment, IdempotencyKey, Post, PostState, ScheduledPublish
from server.services.errors import NotFound
from server.services.paging import Window


@dataclass(frozen=True)
class PendingPost:
    """A post in its pause, when it goes out, its uploads, and the app's key for it."""

    post: Post
    publish_at: datetime
    attachments: list[Attachment]
    idempotency_key: str | None


async def of_member(
    session: AsyncSession, actor_id: int, window: Window | None = None
) -> list[PendingPost]:
    """`actor_id`'s posts in their pause, newest first, paged by post id."""
    window = window or Window(limit=20)
    query = (
        select(Post, ScheduledPublish.run_at)
        .join(ScheduledPublish, col(ScheduledPublish.post_id) == Post.id)
        .where(col(Post.actor_id) == actor_id, col(Post.state) == PostState.pending)
    )
    rows = (await session.exec(window.order(query, col(Post.id)))).all()
    return await _with_details(session, window.arrange(list(rows)))


async def one(session: AsyncSession, actor_id: int, post_id: int) -> PendingPost:
    """One of `actor_id`'s posts in its pause; NotFound for anyone else's, a published
    one, or one that is gone, alike."""
    row = (
        await session.exec(
            select(Post, ScheduledPublish.run_at)
            .join(ScheduledPublish, col(ScheduledPublish.post_id) == Post.id)
            .where(
                col(Post.id) == post_id,
                col(Post.actor_id) == actor_id,
                col(Post.state) == PostState.pending,
            )
        )
    ).first()
    if row is None:
        raise NotFound("Record not found")
    return (await _with_details(session, [row]))[0]


async def _with_details(
    session: AsyncSession, rows: list[tuple[Post, datetime]]
) -> list[PendingPost]:
    ids = [post.id for post, _ in rows]
    media: dict[int, list[Attachment]] = {i: [] for i in ids}
    keys: dict[int, str] = {}
    if ids:
        found = await session.exec(
            select(Attachment)
            .where(col(Attachment.post_id).in_(ids))
            .order_by(col(Attachment.position))
        )
        for item in found.all():
            if item.post_id is not None:
                media[item.post_id].append(item)
        named = await session.exec(
            select(IdempotencyKey.post_id, IdempotencyKey.key).where(
                col(IdempotencyKey.post_id).in_(ids)
            )
        )
        keys = {post_id: key for post_id, key in named.all()}
    return [PendingPost(post, at, media[post.id], keys.get(post.id)) for post, at in rows]
