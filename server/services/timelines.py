"""Timelines and threads: which posts a member sees, in what order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.models import (
    Actor,
    Attachment,
    Domain,
    DomainPolicy,
    PersonList,
    Post,
    PostState,
    PostTag,
    Visibility,
)
from server.models.feeds import HOME
from server.services import feed_reads, feed_rules, mutes, profile_reads, stewardship
from server.services.feed_rules import NOT_REPLY_TO_OTHERS
from server.services.paging import Window

# Pages are completed in post_views; callers may still read these names from here.
from server.services.post_views import Page, PostView
from server.services.post_views import attach_extras as _attach_extras
from server.services.post_views import complete as _complete
from server.services.post_views import views_of as views_of
from server.services.visibility import visible_to

PAGE = 20


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


def once(items: list[PostView]) -> list[PostView]:
    """A page for reading, without a boost of a post the page already shows, itself or
    boosted again: a member's own post boosted by someone they follow is not a second
    copy. The page keeps its order and its paging (the feed itself is unchanged, as apps
    and streams read it)."""
    shown = {v.post.id for v in items if v.post.reblog_of_id is None}
    kept: list[PostView] = []
    for view in items:
        original = view.post.reblog_of_id
        if original is not None:
            if original in shown:
                continue
            shown.add(original)
        kept.append(view)
    return kept


async def _feed_page(
    session: AsyncSession,
    viewer_id: int,
    feed: int,
    where: Callable[[], list[ColumnElement[bool]]],
    window: Window | None,
    muted_at: datetime | None = None,
) -> Page:
    """A page of one of `viewer_id`'s feeds: the feed's rows (one statement), with the
    computed timeline below the feed's floor (`where` builds its conditions, only when
    needed). The rows still pass `visible_to`, so a feed missing a change can only make
    a page short, never leak."""
    window = window or Window(limit=PAGE)
    rows, floor = await feed_reads.rows(session, viewer_id, feed, window, muted_at)
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


async def home(
    session: AsyncSession, viewer: Actor, now: datetime, window: Window | None = None
) -> Page:
    """Posts from the people `viewer` follows and from `viewer`, newest first; people
    they muted stay out."""
    assert viewer.id is not None
    viewer_id = viewer.id

    def where() -> list[ColumnElement[bool]]:
        muted = mutes.muted_ids(viewer_id, now)
        return [*feed_rules.home(viewer_id), col(Post.actor_id).not_in(muted)]

    return await _feed_page(session, viewer_id, HOME, where, window, now)


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
        # NOT IN alone lets local posts (no domain) through while no server is limited.
        where += [col(Actor.domain).is_not(None), col(Actor.domain).not_in(_limited())]
    else:
        where.append(or_(col(Actor.domain).is_(None), col(Actor.domain).not_in(_limited())))
    # People moderators limited stay out, as a limited server's do.
    where.append(col(Actor.limited_at).is_(None))
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
    assert actor.id is not None
    window = window or Window(limit=PAGE)
    found = await profile_reads.rows(
        session, viewer_id, actor.id, window, with_replies=with_replies
    )
    return await _paged(session, viewer_id, window, found)


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
        col(Actor.limited_at).is_(None),
    ]
    return await _page(session, viewer_id, where, window)


async def thread(
    session: AsyncSession, viewer_id: int | None, post: Post
) -> list[stewardship.ThreadView]:
    """The thread around `post`, flattened in reading order with depths.

    Ancestors come first (depth 0 up to the post), then the post's replies as a tree.
    Posts the viewer may not see are left out together with the replies under them;
    replies the thread's author hid, or wrote while blocked by them, are collapsed
    (server/services/stewardship.py).
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
        return stewardship.arrange(
            out, await stewardship.collapsed_in(session, post.root_id), viewer_id
        )

    def walk(view: PostView, depth: int) -> None:
        out.append(PostView(view.post, view.author, view.replies, [], depth))
        for child in view.children:
            walk(child, min(depth + 1, 6))

    walk(here, 0)
    await _attach_extras(session, out, viewer_id)
    return stewardship.arrange(
        out, await stewardship.collapsed_in(session, post.root_id), viewer_id
    )


async def public_replies(
    session: AsyncSession, post_id: int, *, limit: int = PAGE
) -> list[tuple[Post, Actor]]:
    """Public and unlisted replies to a post, oldest first (not those its thread's author
    hid or whose authors they blocked)."""
    rows = await session.exec(
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(Post.in_reply_to_id) == post_id,
            visible_to(None),
            stewardship.shown_in_thread(),
        )
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
