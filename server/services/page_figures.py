"""What a page of posts needs beside the posts, in one statement built once: each post's
counts and its author's, whether the viewer liked, boosted or bookmarked it (or muted its
conversation), and whether
it has media or a poll (read next, only for the few posts that have them).

The statements here are built at import with bound parameters: SQLAlchemy then neither
builds them nor works out their cache keys again on each request, which cost more than
running them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, bindparam, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    ActorCounter,
    Attachment,
    Bookmark,
    Like,
    Poll,
    Post,
    PostCounter,
    ThreadMute,
)
from server.services import statements
from server.services.stats import NO_ACCOUNT_STATS, AccountStats

#: The page's post ids, and the viewer (NULL for a visitor: then nothing is marked).
IDS = bindparam("ids", expanding=True, type_=BigInteger)
VIEWER = bindparam("viewer", type_=Integer)

_boost = aliased(Post)

_FIGURES = (
    select(
        col(Post.id),
        func.coalesce(col(PostCounter.favourites_count), 0),
        func.coalesce(col(PostCounter.reblogs_count), 0),
        func.coalesce(col(PostCounter.replies_count), 0),
        exists().where(col(Like.actor_id) == VIEWER, col(Like.post_id) == col(Post.id)),
        exists().where(col(_boost.actor_id) == VIEWER, col(_boost.reblog_of_id) == col(Post.id)),
        exists().where(col(Bookmark.actor_id) == VIEWER, col(Bookmark.post_id) == col(Post.id)),
        exists().where(col(Attachment.post_id) == col(Post.id)),
        exists().where(col(Poll.post_id) == col(Post.id)),
        exists().where(
            col(ThreadMute.actor_id) == VIEWER, col(ThreadMute.root_id) == col(Post.root_id)
        ),
        col(ActorCounter.statuses_count),
        col(ActorCounter.followers_count),
        col(ActorCounter.following_count),
        col(ActorCounter.last_status_at),
    )
    .select_from(Post)
    .outerjoin(PostCounter, col(PostCounter.post_id) == col(Post.id))
    .outerjoin(ActorCounter, col(ActorCounter.actor_id) == col(Post.actor_id))
    .where(col(Post.id).in_(IDS))
)

_MEDIA = (
    orm_select(Attachment)
    .where(col(Attachment.post_id).in_(IDS))
    .order_by(col(Attachment.post_id), col(Attachment.position))
)
_POLLS = orm_select(Poll).where(col(Poll.post_id).in_(IDS))


@dataclass(frozen=True)
class Figures:
    """One post's counts and the viewer's marks on it."""

    favourites: int
    reblogs: int
    replies: int
    liked: bool
    boosted: bool
    bookmarked: bool
    has_media: bool
    has_poll: bool
    #: Whether the viewer muted the post's conversation.
    muted: bool
    #: The author's counts (the same for every viewer).
    author: AccountStats


async def of_page(
    session: AsyncSession, viewer_id: int | None, post_ids: Collection[int]
) -> dict[int, Figures]:
    """Figures for each of `post_ids` that exists, in one statement."""
    if not post_ids:
        return {}
    rows = await statements.execute(session, _FIGURES, {"ids": list(post_ids), "viewer": viewer_id})
    found = {}
    for row in rows.all():
        post_id, likes, boosts, replies, liked, boosted, bookmarked, media, poll, muted = row[:10]
        statuses, followers, following, last = row[10:]
        author = (
            NO_ACCOUNT_STATS
            if statuses is None
            else AccountStats(statuses, followers, following, last)
        )
        found[int(post_id)] = Figures(
            int(likes),
            int(boosts),
            int(replies),
            bool(liked),
            bool(boosted),
            bool(bookmarked),
            bool(media),
            bool(poll),
            bool(muted),
            author,
        )
    return found


async def media_of(session: AsyncSession, post_ids: Collection[int]) -> list[Attachment]:
    """The attachments of `post_ids` (posts known to have some), in each post's order."""
    if not post_ids:
        return []
    return list((await session.exec(_MEDIA, params={"ids": list(post_ids)})).all())


async def polls_of(session: AsyncSession, post_ids: Collection[int]) -> list[Poll]:
    """The polls of `post_ids` (posts known to have one)."""
    if not post_ids:
        return []
    return list((await session.exec(_POLLS, params={"ids": list(post_ids)})).all())
