"""Reading a page of one person's posts (their profile, their statuses in the client API)
with a statement built once, as the feeds are read (server/services/feed_reads.py)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import BigInteger, Integer, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from server.models import Actor, Post
from server.services.feed_rules import NOT_REPLY_TO_OTHERS
from server.services.paging import Window
from server.services.visibility import visible_to

_VIEWER = bindparam("viewer", type_=Integer)
_AUTHOR = bindparam("author", type_=Integer)
#: The page's bounds, both exclusive (Window.bounds).
_ABOVE = bindparam("above", type_=BigInteger)
_BELOW = bindparam("below", type_=BigInteger)
_LIMIT = bindparam("limit", type_=Integer)


@lru_cache(maxsize=8)
def _page(*, anonymous: bool, with_replies: bool, ascending: bool) -> Select[Post, Actor]:
    """The page statement: the page's ids first (SQLite then walks the (actor_id, id)
    index instead of sorting every post of the person), then their rows."""
    position = col(Post.id)
    ids = select(Post.id).where(
        col(Post.actor_id) == _AUTHOR,
        position > _ABOVE,
        position < _BELOW,
        visible_to(None if anonymous else _VIEWER),
    )
    if not with_replies:
        ids = ids.where(NOT_REPLY_TO_OTHERS)
    order = position.asc() if ascending else position.desc()
    ids = ids.order_by(order).limit(_LIMIT)
    return (
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(position.in_(ids.scalar_subquery()))
        .order_by(order)
    )


async def rows(
    session: AsyncSession,
    viewer_id: int | None,
    author_id: int,
    window: Window,
    *,
    with_replies: bool = False,
) -> list[tuple[Post, Actor]]:
    """Up to limit + 1 (post, author) of `author_id`'s posts that `viewer_id` may see, in
    reading order (replies to others only `with_replies`)."""
    statement = _page(
        anonymous=viewer_id is None,
        with_replies=with_replies,
        ascending=window.min_id is not None,
    )
    params = {"viewer": viewer_id, "author": author_id, "limit": window.limit + 1}
    found = await session.exec(statement, params=params | window.bounds())
    return [(p, a) for p, a in found.all()]
