"""Timelines and threads: which posts a member sees, in what order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, or_, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.models import (
    Actor,
    Attachment,
    Domain,
    DomainPolicy,
    Like,
    PersonList,
    Poll,
    Post,
    PostState,
    PostTag,
    Visibility,
)
from server.models.feeds import HOME
from server.services import feed_reads, feed_rules, mutes, statements, stats
from server.services.feed_rules import NOT_REPLY_TO_OTHERS
from server.services.paging import Window
from server.services.visibility import visible_to

PAGE = 20


@dataclass
class PostView:
    """A post with what every rendering of it needs."""

    post: Post
    author: Actor
    replies: int = 0
    children: list[PostView] = field(default_factory=list)
    depth: int = 0
    #: For a boost: the boosted post, when the viewer may see it.
    reblog: PostView | None = None
    media: list[Attachment] = field(default_factory=list)
    poll: Poll | None = None
    #: Whether the viewer liked / boosted this post (their buttons then undo).
    liked: bool = False
    boosted: bool = False
    #: How many people liked and boosted it.
    likes: int = 0
    boosts: int = 0


@dataclass
class Page:
    items: list[PostView]
    next_max_id: int | None


async def _page(
    session: AsyncSession,
    viewer_id: int | None,
    where: list[ColumnElement[bool]],
    window: Window | None,
) -> Page:
    window = window or Window(limit=PAGE)
    return await _paged(session, viewer_id, window, await _rows(session, viewer_id, where, window))


async def _rows(
    session: AsyncSession, viewer_id: int | None, where: list[ColumnElement[bool]], window: Window
) -> list[tuple[Post, Actor]]:
    """Up to limit + 1 (post, author) of the computed timeline, in reading order."""
    # Pick the page's ids first, then load just those rows: SQLite then walks the
    # (actor_id, id) or primary-key index instead of loading and sorting every candidate.
    ids = (
        select(Post.id)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(visible_to(viewer_id), *where)
    )
    ids = window.order(ids, col(Post.id), extra=1)
    query = (
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id).in_(ids.scalar_subquery()))
        .order_by(col(Post.id).asc() if window.min_id is not None else col(Post.id).desc())
    )
    return [(p, a) for p, a in (await session.exec(query)).all()]


async def _paged(
    session: AsyncSession, viewer_id: int | None, window: Window, rows: list[tuple[Post, Actor]]
) -> Page:
    more = len(rows) > window.limit
    items = window.arrange([PostView(p, a) for p, a in rows[: window.limit]])
    next_max_id = items[-1].post.id if more and items and window.min_id is None else None
    return Page(await _complete(session, viewer_id, items), next_max_id)


async def _feed_page(
    session: AsyncSession,
    viewer_id: int,
    feed: int,
    where: Callable[[], list[ColumnElement[bool]]],
    window: Window | None,
    muted: SelectOfScalar[int] | None = None,
) -> Page:
    """A page of one of `viewer_id`'s feeds: the feed's rows (one statement), with the
    computed timeline below the feed's floor (`where` builds its conditions, only when
    needed). The rows still pass `visible_to`, so a feed missing a change can only make
    a page short, never leak."""
    window = window or Window(limit=PAGE)
    rows, floor = await feed_reads.rows(session, viewer_id, feed, window, muted)
    if floor is None:
        return await _paged(session, viewer_id, window, rows)  # the feed holds it all
    if window.min_id is not None and window.min_id < floor:
        return await _page(session, viewer_id, where(), window)  # below what the feed holds
    if len(rows) <= window.limit and window.min_id is None and (window.since_id or 0) < floor:
        rest = replace(window, limit=window.limit - len(rows), max_id=floor)
        if window.max_id is not None:
            rest = replace(rest, max_id=min(window.max_id, floor))
        rows += await _rows(session, viewer_id, where(), rest)
    return await _paged(session, viewer_id, window, rows)


async def _complete(
    session: AsyncSession, viewer_id: int | None, items: list[PostView]
) -> list[PostView]:
    """Boosted posts, reply counts, media, polls and the viewer's likes and boosts."""
    await _attach_reblogs(session, viewer_id, items)
    items = [v for v in items if v.post.reblog_of_id is None or v.reblog is not None]
    await _count_replies(session, viewer_id, items)
    await _attach_extras(session, [v.reblog or v for v in items], viewer_id)
    return items


async def views_of(
    session: AsyncSession, viewer_id: int | None, post_ids: list[int]
) -> list[PostView]:
    """The posts `viewer_id` may see among `post_ids`, in that order, ready to render."""
    if not post_ids:
        return []
    rows = await session.exec(
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id).in_(post_ids), visible_to(viewer_id))
    )
    found = {p.id: PostView(p, a) for p, a in rows.all()}
    return await _complete(session, viewer_id, [found[i] for i in post_ids if i in found])


async def _attach_extras(
    session: AsyncSession, views: list[PostView], viewer_id: int | None
) -> None:
    """Attachments and polls (for the few posts that have them), and what the viewer
    already liked or boosted."""
    by_id = {v.post.id: v for v in views}
    if not by_id:
        return
    for post_id, figures in (await stats.of_posts(session, by_id)).items():
        by_id[post_id].likes, by_id[post_id].boosts = figures.favourites, figures.reblogs
    if viewer_id is not None:
        liked = select(Like.post_id, literal("liked")).where(
            Like.actor_id == viewer_id, col(Like.post_id).in_(by_id)
        )
        boosted = select(Post.reblog_of_id, literal("boosted")).where(
            Post.actor_id == viewer_id, col(Post.reblog_of_id).in_(by_id)
        )
        marks = await statements.execute(session, union_all(liked, boosted))
        for post_id, mark in marks.all():
            if post_id in by_id:
                setattr(by_id[post_id], mark, True)
    media = await session.exec(
        select(Attachment)
        .where(col(Attachment.post_id).in_(by_id))
        .order_by(col(Attachment.position))
    )
    for item in media.all():
        assert item.post_id is not None  # chosen by post_id above
        by_id[item.post_id].media.append(item)
    for poll in (await session.exec(select(Poll).where(col(Poll.post_id).in_(by_id)))).all():
        by_id[poll.post_id].poll = poll


async def _attach_reblogs(
    session: AsyncSession, viewer_id: int | None, items: list[PostView]
) -> None:
    """Load the boosted posts the viewer may see; boosts of others are dropped."""
    wanted = {v.post.reblog_of_id for v in items if v.post.reblog_of_id is not None}
    if not wanted:
        return
    rows = await session.exec(
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id).in_(wanted), visible_to(viewer_id))
    )
    found = {p.id: PostView(p, a) for p, a in rows.all()}
    for view in items:
        if view.post.reblog_of_id is not None:
            view.reblog = found.get(view.post.reblog_of_id)


async def _count_replies(
    session: AsyncSession, viewer_id: int | None, items: list[PostView]
) -> None:
    if not items:
        return
    ids = [(v.reblog or v).post.id for v in items]
    rows = await session.exec(
        select(Post.in_reply_to_id, func.count())
        .where(col(Post.in_reply_to_id).in_(ids), visible_to(viewer_id))
        .group_by(col(Post.in_reply_to_id))
    )
    counts = dict(rows.all())
    for view in items:
        (view.reblog or view).replies = counts.get((view.reblog or view).post.id, 0)


async def home(
    session: AsyncSession, viewer: Actor, now: datetime, window: Window | None = None
) -> Page:
    """Posts from the people `viewer` follows and from `viewer`, newest first; people
    they muted stay out."""
    assert viewer.id is not None
    viewer_id, muted = viewer.id, mutes.muted_ids(viewer.id, now)

    def where() -> list[ColumnElement[bool]]:
        return [*feed_rules.home(viewer_id), col(Post.actor_id).not_in(muted)]

    return await _feed_page(session, viewer_id, HOME, where, window, muted)


async def of_list(
    session: AsyncSession, viewer: Actor, chosen: PersonList, window: Window | None = None
) -> Page:
    """Posts by the people on one of the member's lists, with the replies it allows."""
    assert viewer.id is not None and chosen.id is not None
    viewer_id = viewer.id
    return await _feed_page(
        session, viewer_id, chosen.id, lambda: feed_rules.of_list(viewer_id, chosen), window
    )


async def local(session: AsyncSession, viewer_id: int | None, window: Window | None = None) -> Page:
    """Public posts by this community's members, newest first."""
    return await public(session, viewer_id, window, local_only=True)


async def public(
    session: AsyncSession,
    viewer_id: int | None,
    window: Window | None = None,
    *,
    local_only: bool = False,
    remote_only: bool = False,
    only_media: bool = False,
) -> Page:
    """Public posts, newest first: members' (`local_only`), other servers' (`remote_only`)
    or both. Limited servers stay out, as in the tag pages."""
    where = [
        col(Post.visibility) == Visibility.public,
        col(Post.state) == PostState.published,
        col(Post.reblog_of_id).is_(None),
        NOT_REPLY_TO_OTHERS,
    ]
    if local_only:
        where.append(col(Actor.domain).is_(None))
    elif remote_only:
        where.append(col(Actor.domain).not_in(_limited()))
    else:
        where.append(or_(col(Actor.domain).is_(None), col(Actor.domain).not_in(_limited())))
    if only_media:
        where.append(col(Post.id).in_(select(Attachment.post_id)))
    return await _page(session, viewer_id, where, window)


def _limited() -> SelectOfScalar[str]:
    return select(Domain.domain).where(Domain.policy == DomainPolicy.limit)


async def profile(
    session: AsyncSession,
    viewer_id: int | None,
    actor: Actor,
    *,
    with_replies: bool = False,
    window: Window | None = None,
) -> Page:
    """One person's posts that `viewer_id` may see, newest first."""
    where: list[ColumnElement[bool]] = [col(Post.actor_id) == actor.id]
    if not with_replies:
        where.append(NOT_REPLY_TO_OTHERS)
    return await _page(session, viewer_id, where, window)


async def tagged(
    session: AsyncSession, viewer_id: int | None, tag: str, window: Window | None = None
) -> Page:
    """Public posts carrying #tag, newest first."""
    tagged_ids = select(PostTag.post_id).where(PostTag.tag == tag.lower())
    limited = _limited()
    where = [
        col(Post.id).in_(tagged_ids),
        col(Post.visibility) == Visibility.public,
        # Limited servers stay out of public timelines (their followers still see them).
        or_(col(Actor.domain).is_(None), col(Actor.domain).not_in(limited)),
    ]
    return await _page(session, viewer_id, where, window)


async def thread(session: AsyncSession, viewer_id: int | None, post: Post) -> list[PostView]:
    """The thread around `post`, flattened in reading order with depths.

    Ancestors come first (depth 0 up to the post), then the post's replies as a tree.
    Posts the viewer may not see are left out together with the replies under them.
    """
    rows = (
        await session.exec(
            select(Post, Actor)
            .join(Actor, col(Actor.id) == Post.actor_id)
            .where(Post.root_id == post.root_id, visible_to(viewer_id))
            .order_by(col(Post.id))
        )
    ).all()
    views = {p.id: PostView(p, a) for p, a in rows}
    for view in views.values():
        parent = views.get(view.post.in_reply_to_id or -1)
        if parent is not None:
            parent.children.append(view)
            parent.replies += 1
    ancestors: list[PostView] = []
    cursor = views.get(post.in_reply_to_id or -1)
    while cursor is not None:
        ancestors.insert(0, cursor)
        cursor = views.get(cursor.post.in_reply_to_id or -1)
    out = [PostView(v.post, v.author, v.replies, [], 0) for v in ancestors]
    here = views.get(post.id)
    if here is None:
        return out

    def walk(view: PostView, depth: int) -> None:
        out.append(PostView(view.post, view.author, view.replies, [], depth))
        for child in view.children:
            walk(child, min(depth + 1, 6))

    walk(here, 0)
    await _attach_extras(session, out, viewer_id)
    return out


async def public_replies(
    session: AsyncSession, post_id: int, *, limit: int = PAGE
) -> list[tuple[Post, Actor]]:
    """Public and unlisted replies to a post, oldest first."""
    rows = await session.exec(
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.in_reply_to_id) == post_id, visible_to(None))
        .order_by(col(Post.id))
        .limit(limit)
    )
    return [(p, a) for p, a in rows.all()]


async def public_count(session: AsyncSession, actor_id: int) -> int:
    """How many posts and boosts of `actor_id` anyone may see (an outbox's totalItems)."""
    query = (
        select(func.count())
        .select_from(Post)
        .where(col(Post.actor_id) == actor_id, visible_to(None))
    )
    return int((await session.exec(query)).one())
