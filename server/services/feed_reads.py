"""Reading a page of a member's feed: one statement over the feed's index."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.models import Actor, FeedEntry, FeedFloor, Post
from server.services.paging import Window
from server.services.visibility import visible_to


async def rows(
    session: AsyncSession,
    owner_id: int,
    feed: int,
    window: Window,
    muted: SelectOfScalar[int] | None = None,
) -> tuple[list[tuple[Post, Actor]], int | None]:
    """Up to limit + 1 (post, author) from one feed in reading order, and the feed's
    floor when the page may reach below it (None: the feed holds everything).

    The rows are joined to their posts and pass `visible_to` again: what the writes
    missed makes a page short, never shows a post the owner may not see.
    """
    query = (
        select(Post, Actor)
        .select_from(FeedEntry)
        .join(Post, col(Post.id) == FeedEntry.post_id)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(FeedEntry.owner_id) == owner_id,
            col(FeedEntry.feed) == feed,
            visible_to(owner_id),
        )
    )
    if muted is not None:
        query = query.where(col(FeedEntry.author_id).not_in(muted))
    found = [
        (p, a)
        for p, a in (await session.exec(window.order(query, col(FeedEntry.post_id), extra=1))).all()
    ]
    if len(found) > window.limit and window.min_id is None:
        return found, None  # a full page: where the feed stops does not matter
    floor = await session.exec(
        select(FeedFloor.floor).where(
            col(FeedFloor.owner_id) == owner_id, col(FeedFloor.feed) == feed
        )
    )
    return found, floor.first()
