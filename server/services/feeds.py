"""Feeds: each member's home and lists kept as rows of post ids, written with the change.

A page of home then reads at most limit + 1 rows of one index instead of working out
who the member follows, lists and may see for every request. The rule of what enters a
feed is `feed_rules` with `visible_to`, the same the computed timeline uses:

- a post's rows follow the post: `place` (in the transaction that creates, publishes,
  edits or deletes it) adds it to the feeds whose owners may now see it and removes it
  from the others;
- a member's rows follow the member's relations: `refeed` rebuilds their feeds from the
  posts after a follow, unfollow, block or list change (bounded: at most SIZE rows);
- a suspended author's rows leave everyone else's feeds (`drop_author`); their
  followers' feeds are rebuilt when the suspension is lifted (`restore_author`).

A feed holds about SIZE rows, newest first. A feed cut to that bound records its floor
(`FeedFloor`): it holds every post its owner may see from the floor up, and pages below
it are computed, as before (server/services/timelines.py); so a post never enters a
feed below its floor, where it would hide the posts between.
Deleting a post (or its author) deletes its rows through the foreign key.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    bindparam,
    delete,
    func,
    literal,
    or_,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from server.models import (
    Actor,
    FeedEntry,
    FeedFloor,
    Follow,
    FollowState,
    ListMember,
    PersonList,
    Post,
)
from server.models.feeds import HOME
from server.services import feed_rules
from server.services.feed_rules import Viewer
from server.services.visibility import visible_to

__all__ = ["HOME", "SIZE", "drop_author", "place", "rebuild_all", "refeed", "restore_author"]

#: Rows kept per feed (Mastodon keeps 800 per home feed in Redis).
SIZE = 800
#: A feed is trimmed back to SIZE when one post in this many enters it, so trimming costs
#: a publish about as much as one more row, and a feed holds at most about SIZE + 2 * this.
TRIM_EVERY = 32
_COLUMNS = ("owner_id", "feed", "post_id", "author_id")


def _insert(session: AsyncSession, rows: Select[*tuple[Any, ...]] | CompoundSelect) -> Any:
    """INSERT ... SELECT of feed rows; a row already there stays as it is."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(FeedEntry).from_select(_COLUMNS, rows).on_conflict_do_nothing()


def _above_floor(owner: Viewer, feed: Viewer) -> ColumnElement[bool]:
    """The post is not below the feed's floor (a feed without one holds everything)."""
    floor = (
        select(FeedFloor.floor)
        .where(col(FeedFloor.owner_id) == owner, col(FeedFloor.feed) == feed)
        .scalar_subquery()
    )
    return or_(floor.is_(None), col(Post.id) >= floor)


# The fan-out statements take the post as parameters: built once (building `visible_to`
# for a column costs more than running the statement), compiled once per dialect.
_POST: BindParameter[int] = bindparam("feed_post_id", type_=BigInteger())
_AUTHOR: BindParameter[int] = bindparam("feed_author_id", type_=Integer())


def _audience(*, guarded: bool) -> list[Select[*tuple[Any, ...]]]:
    """(owner, feed, post, author) for every local member's feed the post belongs in now."""
    owner = aliased(Actor)
    followers = select(Follow.follower_id).where(
        col(Follow.followed_id) == _AUTHOR, col(Follow.state) == FollowState.accepted
    )
    home = (
        select(col(owner.id), literal(HOME), col(Post.id), col(Post.actor_id))
        .select_from(owner)
        .join(Post, col(Post.id) == _POST)
        .where(
            col(owner.domain).is_(None),
            or_(col(owner.id) == _AUTHOR, col(owner.id).in_(followers)),
            feed_rules.not_exclusively_listed(col(owner.id)),
            visible_to(col(owner.id)),
        )
    )
    chosen = aliased(PersonList)
    lists = (
        select(col(chosen.actor_id), col(chosen.id), col(Post.id), col(Post.actor_id))
        .select_from(chosen)
        .join(ListMember, col(ListMember.list_id) == chosen.id)
        .join(Post, col(Post.id) == _POST)
        .where(
            col(ListMember.actor_id) == _AUTHOR,
            *feed_rules.any_list(chosen),
            visible_to(col(chosen.actor_id)),
        )
    )
    if guarded:
        home = home.where(_above_floor(col(owner.id), literal(HOME)))
        lists = lists.where(_above_floor(col(chosen.actor_id), col(chosen.id)))
    return [home, lists]


@cache
def _placing(dialect: str) -> tuple[Any, Any]:
    """The INSERT of a post's rows and the DELETE of the rows it no longer belongs in."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = union_all(*_audience(guarded=True))
    adding = insert(FeedEntry).from_select(_COLUMNS, rows).on_conflict_do_nothing()
    kept = union_all(
        *(r.with_only_columns(*r.selected_columns[:2]) for r in _audience(guarded=False))
    )
    removing = delete(FeedEntry).where(
        col(FeedEntry.post_id) == _POST,
        tuple_(col(FeedEntry.owner_id), col(FeedEntry.feed)).not_in(kept),
    )
    return adding, removing


async def place(session: AsyncSession, post: Post, *, new: bool = False) -> None:
    """Put `post` in the feeds it belongs in now and take it out of the others: after it
    is created (its author's home only, in its pause), published, edited or deleted, or
    arrives from elsewhere. `new`: it is in no feed yet, or only in its author's home
    (in its pause), which it stays in: nothing is taken out. Runs in the caller's
    transaction; the caller commits."""
    await session.flush()
    adding, removing = _placing(session.get_bind().dialect.name)
    params = {"feed_post_id": post.id, "feed_author_id": post.actor_id}
    connection = await session.connection()  # Core: the parameters are not ORM rows
    await connection.execute(adding, params)
    if not new:
        await connection.execute(removing, params)
    if post.id % TRIM_EVERY == 0:
        await _trim(session, post.id)


async def _trim(session: AsyncSession, post_id: int) -> None:
    """Cut the feeds `post_id` entered back to their newest SIZE rows."""
    feeds = (
        await session.exec(
            select(FeedEntry.owner_id, FeedEntry.feed).where(col(FeedEntry.post_id) == post_id)
        )
    ).all()
    for owner_id, feed in feeds:
        await _trim_feed(session, owner_id, feed)


async def _trim_feed(session: AsyncSession, owner_id: int, feed: int) -> None:
    mine = (col(FeedEntry.owner_id) == owner_id, col(FeedEntry.feed) == feed)
    # The SIZE-th newest row: an index walk of SIZE steps, no sort.
    last = (
        await session.exec(
            select(FeedEntry.post_id)
            .where(*mine)
            .order_by(col(FeedEntry.post_id).desc())
            .offset(SIZE - 1)
            .limit(1)
        )
    ).first()
    if last is None:
        return
    cut = await session.exec(delete(FeedEntry).where(*mine, col(FeedEntry.post_id) < last))
    if cut.rowcount:
        await _set_floor(session, owner_id, feed, last)


async def _set_floor(session: AsyncSession, owner_id: int, feed: int, floor: int | None) -> None:
    """Record where the feed stops knowing (None: it holds everything)."""
    await session.exec(
        delete(FeedFloor).where(col(FeedFloor.owner_id) == owner_id, col(FeedFloor.feed) == feed)
    )
    if floor is not None:
        session.add(FeedFloor(owner_id=owner_id, feed=feed, floor=floor))
        await session.flush()


def _rows_of(owner_id: int, feed: int, rule: list[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    return (
        select(literal(owner_id), literal(feed), col(Post.id), col(Post.actor_id))
        .where(visible_to(owner_id), *rule)
        .order_by(col(Post.id).desc())
        .limit(SIZE)
    )


async def refeed(
    session: AsyncSession, owner_id: int, *, home: bool = True, lists: Iterable[int] | None = None
) -> None:
    """Rebuild a member's feeds from the posts: their home (unless `home` is False) and
    their lists (`lists`: only these; None: all of them). The caller commits."""
    owner = await session.get(Actor, owner_id)
    if owner is None or not owner.is_local:
        return
    owned = (
        await session.exec(select(PersonList).where(col(PersonList.actor_id) == owner_id))
    ).all()
    chosen = [c for c in owned if lists is None or c.id in set(lists)]
    feeds = ([HOME] if home else []) + [c.id for c in chosen if c.id is not None]
    await session.exec(
        delete(FeedEntry).where(col(FeedEntry.owner_id) == owner_id, col(FeedEntry.feed).in_(feeds))
    )
    if home:
        await _fill(session, owner_id, HOME, feed_rules.home(owner_id))
    for one in chosen:
        assert one.id is not None
        await _fill(session, owner_id, one.id, feed_rules.of_list(owner_id, one))


async def _fill(
    session: AsyncSession, owner_id: int, feed: int, rule: list[ColumnElement[bool]]
) -> None:
    """Write an emptied feed from the posts: its newest SIZE, and its floor if it is cut."""
    written = await session.exec(_insert(session, _rows_of(owner_id, feed, rule)))
    floor = None
    if written.rowcount >= SIZE:  # there may be older posts it does not hold
        oldest = await session.exec(
            select(func.min(FeedEntry.post_id)).where(
                col(FeedEntry.owner_id) == owner_id, col(FeedEntry.feed) == feed
            )
        )
        floor = oldest.one()
    await _set_floor(session, owner_id, feed, floor)


async def drop_list(session: AsyncSession, list_id: int) -> None:
    """A list was deleted: its feed goes with it. The caller commits."""
    await session.exec(delete(FeedEntry).where(col(FeedEntry.feed) == list_id))
    await session.exec(delete(FeedFloor).where(col(FeedFloor.feed) == list_id))


async def drop_author(session: AsyncSession, actor_id: int) -> None:
    """`actor_id` was suspended: their posts leave every feed but their own."""
    await session.exec(
        delete(FeedEntry).where(
            col(FeedEntry.author_id) == actor_id, col(FeedEntry.owner_id) != actor_id
        )
    )


async def restore_author(session: AsyncSession, actor_id: int) -> None:
    """`actor_id`'s suspension was lifted: the feeds their posts belong in are rebuilt."""
    for owner_id in await readers_of(session, actor_id):
        await refeed(session, owner_id)


async def readers_of(session: AsyncSession, actor_id: int) -> list[int]:
    """Local members whose feeds can hold `actor_id`'s posts: followers and list owners."""
    followers = select(Follow.follower_id).where(col(Follow.followed_id) == actor_id)
    listing = (
        select(PersonList.actor_id)
        .join(ListMember, col(ListMember.list_id) == PersonList.id)
        .where(col(ListMember.actor_id) == actor_id)
    )
    rows = await session.exec(
        select(Actor.id).where(
            col(Actor.domain).is_(None),
            or_(col(Actor.id).in_(followers), col(Actor.id).in_(listing)),
        )
    )
    return sorted(int(i) for i in rows.all() if i is not None)


async def rebuild_all(session: AsyncSession, member_ids: Iterable[int] | None = None) -> int:
    """Rebuild the feeds of these members (None: every local member) and commit each;
    how many members."""
    if member_ids is None:
        found = await session.exec(select(Actor.id).where(col(Actor.domain).is_(None)))
        member_ids = [int(i) for i in found.all() if i is not None]
    done = 0
    for member_id in member_ids:
        await refeed(session, member_id)
        await session.commit()
        done += 1
    return done


async def entries(session: AsyncSession, owner_id: int, feed: int = HOME) -> list[int]:
    """The post ids in one feed, newest first (for rebuild checks and tests)."""
    rows = await session.exec(
        select(FeedEntry.post_id)
        .where(col(FeedEntry.owner_id) == owner_id, col(FeedEntry.feed) == feed)
        .order_by(col(FeedEntry.post_id).desc())
    )
    return list(rows.all())
