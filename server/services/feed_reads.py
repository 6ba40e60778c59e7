"""Reading a page of a member's feed: one statement over the feed's index, built once.

The statements are built at import with bound parameters (owner, feed, the cursors, the
limit, the moment mutes are checked at): a page then costs the database's work, not the
building of the statement and its cache key, which cost more.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import BigInteger, BindParameter, Integer, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from server.models import Actor, FeedEntry, FeedFloor, Post
from server.services.mutes import muted_ids
from server.services.paging import Window
from server.services.visibility import visible_to

_OWNER = bindparam("owner", type_=Integer)
_FEED = bindparam("feed", type_=Integer)
#: The page's bounds, both exclusive: above `above` and below `below`.
_ABOVE = bindparam("above", type_=BigInteger)
_BELOW = bindparam("below", type_=BigInteger)
_LIMIT = bindparam("limit", type_=Integer)
_NOW: BindParameter[datetime] = bindparam("now")

_FLOOR = select(FeedFloor.floor).where(
    col(FeedFloor.owner_id) == _OWNER, col(FeedFloor.feed) == _FEED
)


@lru_cache(maxsize=4)
def _page(*, muting: bool, ascending: bool) -> Select[Post, Actor]:
    """The page statement: newest first, or oldest first from a `min_id`; `muting`: the
    owner's muted people stay out (their home feed)."""
    position = col(FeedEntry.post_id)
    query = (
        select(Post, Actor)
        .select_from(FeedEntry)
        .join(Post, col(Post.id) == FeedEntry.post_id)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(FeedEntry.owner_id) == _OWNER,
            col(FeedEntry.feed) == _FEED,
            position > _ABOVE,
            position < _BELOW,
            visible_to(_OWNER),
        )
    )
    if muting:
        query = query.where(col(FeedEntry.author_id).not_in(muted_ids(_OWNER, _NOW)))
    return query.order_by(position.asc() if ascending else position.desc()).limit(_LIMIT)


async def rows(
    session: AsyncSession,
    owner_id: int,
    feed: int,
    window: Window,
    muted_at: datetime | None = None,
) -> tuple[list[tuple[Post, Actor]], int | None]:
    """Up to limit + 1 (post, author) from one feed in reading order, and the feed's
    floor when the page may reach below it (None: the feed holds everything).
    `muted_at`: leave out the people the owner has muted at that moment.

    The rows are joined to their posts and pass `visible_to` again: what the writes
    missed makes a page short, never shows a post the owner may not see.
    """
    statement = _page(muting=muted_at is not None, ascending=window.min_id is not None)
    params = {
        "owner": owner_id,
        "feed": feed,
        "limit": window.limit + 1,
        **window.bounds(),
        **({"now": muted_at} if muted_at is not None else {}),
    }
    found = [(p, a) for p, a in (await session.exec(statement, params=params)).all()]
    if len(found) > window.limit and window.min_id is None:
        return found, None  # a full page: where the feed stops does not matter
    floor = await session.exec(_FLOOR, params={"owner": owner_id, "feed": feed})
    return found, floor.first()
