"""Counter rows: a post's replies, boosts and likes, a person's posts and follows.

Each change moves its counts in the transaction that makes it, with one atomic
statement per row (`INSERT … ON CONFLICT DO UPDATE SET n = n + 1`): concurrent likes
each add their one, since no count is read and written back. Pages read the rows
instead of counting (server/services/stats.py).

What counts, the same here, in the rebuild below and in migration 0010:
- a post's replies: its published public and unlisted replies (Mastodon's
  `replies_count`; a followers-only or direct reply is never counted, so the number
  cannot reveal a post someone may not see);
- its boosts: published boosts; its likes: every like;
- a person's posts: published posts and boosts, whoever may see them, and the time of
  the newest; their followers and following: accepted follows.
Suspension hides rows from read paths but changes no count (as before counters): a
count names no one, and a lifted suspension needs no recount.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    Table,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    ActorCounter,
    Follow,
    FollowState,
    Like,
    Post,
    PostCounter,
    PostState,
    Visibility,
)
from server.services import statements
from server.services.signal_statements import core_table

POSTS = core_table(PostCounter)
ACTORS = core_table(ActorCounter)
OPEN = (Visibility.public, Visibility.unlisted)


def counts_as_reply(post: Post) -> bool:
    """Whether `post`, published, adds one to its parent's replies."""
    return post.in_reply_to_id is not None and post.reblog_of_id is None and post.visibility in OPEN


@cache
def _upsert_statement(dialect: str, table: Table, key: str, names: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding `names` to `table`'s row, built once per
    shape (building and keying it cost more than running it): parameters `key`, `v_<name>`
    (the new row's value) and `d_<name>` (what is added)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        {key: bindparam(key), **{name: bindparam(f"v_{name}") for name in names}}
    )
    changes: dict[str, Any] = {}
    for name in names:
        column = table.c[name]
        if name == "last_status_at":
            newer = or_(column.is_(None), column < statement.excluded[name])
            changes[name] = case((newer, statement.excluded[name]), else_=column)
        else:
            changes[name] = column + bindparam(f"d_{name}", type_=column.type)
    return statement.on_conflict_do_update(index_elements=[table.c[key]], set_=changes)


async def _upsert(
    session: AsyncSession, table: Table, key: str, key_value: int, **deltas: Any
) -> None:
    """One statement: create the row with `deltas` (never below zero), or add them."""
    names = tuple(sorted(deltas))
    statement = _upsert_statement(session.get_bind().dialect.name, table, key, names)
    params: dict[str, Any] = {key: key_value}
    for name, delta in deltas.items():
        params[f"v_{name}"] = max(delta, 0) if isinstance(delta, int) else delta
        params[f"d_{name}"] = delta
    await session.exec(statement, params=params)


async def add_to_post(session: AsyncSession, post_id: int, **deltas: int) -> None:
    """Add `deltas` (e.g. favourites_count=1) to a post's counts."""
    await _upsert(session, POSTS, "post_id", post_id, **deltas)


async def add_to_actor(session: AsyncSession, actor_id: int, **deltas: Any) -> None:
    """Add `deltas` to a person's counts; a `last_status_at` keeps the later time."""
    await _upsert(session, ACTORS, "actor_id", actor_id, **deltas)


async def published(session: AsyncSession, post: Post) -> None:
    """`post` (a post, a reply or a boost) became published just now."""
    await add_to_actor(session, post.actor_id, statuses_count=1, last_status_at=post.published_at)
    if counts_as_reply(post):
        assert post.in_reply_to_id is not None
        await add_to_post(session, post.in_reply_to_id, replies_count=1)
    if post.reblog_of_id is not None:
        await add_to_post(session, post.reblog_of_id, reblogs_count=1)


async def unpublished(session: AsyncSession, post: Post) -> None:
    """`post`, published until now, was deleted in this transaction (its row changed
    state or is gone)."""
    await session.exec(
        update(ACTORS)
        .where(ACTORS.c.actor_id == post.actor_id)
        .values(
            statuses_count=ACTORS.c.statuses_count - 1,
            last_status_at=_newest(post.actor_id),
        )
    )
    if counts_as_reply(post):
        assert post.in_reply_to_id is not None
        await add_to_post(session, post.in_reply_to_id, replies_count=-1)
    if post.reblog_of_id is not None:
        await add_to_post(session, post.reblog_of_id, reblogs_count=-1)


async def followed(session: AsyncSession, follower_id: int, followed_id: int, delta: int) -> None:
    """An accepted follow began (1) or ended (-1)."""
    changes = [(followed_id, "followers_count"), (follower_id, "following_count")]
    # Rows are locked in id order, so Ana following Ben while Ben follows Ana cannot
    # deadlock on PostgreSQL (each transaction would hold one row the other needs).
    for actor_id, name in sorted(changes):
        await add_to_actor(session, actor_id, **{name: delta})


async def follows_ended(session: AsyncSession, rows: Iterable[tuple[int, int, str]]) -> None:
    """Follows (follower, followed, state) just deleted: the accepted ones count down."""
    for follower_id, followed_id, state in rows:
        if state == FollowState.accepted:
            await followed(session, follower_id, followed_id, -1)


def _newest(actor_id: Any) -> Any:
    return (
        select(func.max(Post.published_at))
        .where(col(Post.actor_id) == actor_id, col(Post.state) == PostState.published)
        .scalar_subquery()
    )


def _post_figures(ids: Collection[int] | None) -> Any:
    """(post id, replies, boosts, likes) recounted from the rows, for `ids` or all."""
    replies: Any = select(
        col(Post.in_reply_to_id).label("post_id"),
        literal(1).label("replies"),
        literal(0).label("reblogs"),
        literal(0).label("favourites"),
    ).where(
        col(Post.in_reply_to_id).is_not(None),
        col(Post.reblog_of_id).is_(None),
        col(Post.state) == PostState.published,
        col(Post.visibility).in_(OPEN),
    )
    boosts: Any = select(col(Post.reblog_of_id), literal(0), literal(1), literal(0)).where(
        col(Post.reblog_of_id).is_not(None), col(Post.state) == PostState.published
    )
    likes: Any = select(col(Like.post_id), literal(0), literal(0), literal(1))
    if ids is not None:
        replies = replies.where(col(Post.in_reply_to_id).in_(ids))
        boosts = boosts.where(col(Post.reblog_of_id).in_(ids))
        likes = likes.where(col(Like.post_id).in_(ids))
    figures = union_all(replies, boosts, likes).subquery()
    return (
        select(
            figures.c.post_id,
            func.sum(figures.c.replies),
            func.sum(figures.c.reblogs),
            func.sum(figures.c.favourites),
            literal(0),
        )
        .where(figures.c.post_id.in_(select(col(Post.id))))
        .group_by(figures.c.post_id)
    )


def _actor_figures(ids: Collection[int] | None) -> Any:
    """(actor id, posts, followers, following, newest post time), recounted."""
    accepted = col(Follow.state) == FollowState.accepted
    posts: Any = select(
        col(Post.actor_id).label("actor_id"),
        literal(1).label("statuses"),
        literal(0).label("followers"),
        literal(0).label("following"),
        col(Post.published_at).label("last"),
    ).where(col(Post.state) == PostState.published)
    followers: Any = select(
        col(Follow.followed_id), literal(0), literal(1), literal(0), literal(None)
    ).where(accepted)
    following: Any = select(
        col(Follow.follower_id), literal(0), literal(0), literal(1), literal(None)
    ).where(accepted)
    if ids is not None:
        posts = posts.where(col(Post.actor_id).in_(ids))
        followers = followers.where(col(Follow.followed_id).in_(ids))
        following = following.where(col(Follow.follower_id).in_(ids))
    figures = union_all(posts, followers, following).subquery()
    return select(
        figures.c.actor_id,
        func.sum(figures.c.statuses),
        func.sum(figures.c.followers),
        func.sum(figures.c.following),
        func.max(figures.c.last),
    ).group_by(figures.c.actor_id)


async def recount(
    session: AsyncSession,
    *,
    post_ids: Collection[int] | None = None,
    actor_ids: Collection[int] | None = None,
) -> None:
    """Recount the rows of `post_ids` and `actor_ids` from the data (all of them when
    both are None). For the rare changes of many rows at once (an account removed by its
    server, a reply adopted by its late parent) and `porch counters rebuild`."""
    everything = post_ids is None and actor_ids is None
    if everything or post_ids:
        wipe = delete(POSTS)
        if post_ids is not None:
            wipe = wipe.where(POSTS.c.post_id.in_(post_ids))
        await session.exec(wipe)
        columns = ["post_id", "replies_count", "reblogs_count", "favourites_count", "quotes_count"]
        await session.exec(POSTS.insert().from_select(columns, _post_figures(post_ids)))
    if everything or actor_ids:
        wipe = delete(ACTORS)
        if actor_ids is not None:
            wipe = wipe.where(ACTORS.c.actor_id.in_(actor_ids))
        await session.exec(wipe)
        columns = [
            "actor_id",
            "statuses_count",
            "followers_count",
            "following_count",
            "last_status_at",
        ]
        await session.exec(ACTORS.insert().from_select(columns, _actor_figures(actor_ids)))


async def rebuild(session: AsyncSession) -> tuple[int, int]:
    """Recount every counter row from the data and commit; (post rows, person rows)."""
    await recount(session)
    await session.commit()
    posts = await statements.execute(session, select(func.count()).select_from(POSTS))
    actors = await statements.execute(session, select(func.count()).select_from(ACTORS))
    return int(posts.scalar_one()), int(actors.scalar_one())
