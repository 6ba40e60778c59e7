"""Posts made ready to render: a page's boosted posts, media, polls, counts, and what the
viewer already did with them, read in a few statements for the whole page.

Counts come from the counter rows (server/services/counters.py): the same figures for
every viewer, so renderings may cache everything else and lay the counts over it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from server.clock import utcnow
from server.models import Actor, Attachment, Poll, Post, PostState
from server.services import page_figures, quotes, waiting_replies
from server.services.quotes import Shown
from server.services.stats import AccountStats
from server.services.visibility import visible_to


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
    #: Whether the viewer bookmarked it (None: not read, or no viewer).
    bookmarked: bool | None = None
    #: Whether the viewer muted its conversation (read with `bookmarked`).
    muted: bool | None = None
    #: The author's counts, when read with the page.
    author_stats: AccountStats | None = None
    #: For a quote: what the viewer is shown of the quoted post (its state), the quoted
    #: post when they may see it, and its author (for "pending Ana's approval").
    quote: Shown | None = None
    quoted: PostView | None = None
    quoted_author: Actor | None = None
    #: Whether `quote` was read (None then means: not a quote).
    quotes_read: bool = False
    #: For a reply: the author of the post it answers, when the viewer may see that post.
    replying_to: Actor | None = None
    #: A pending reply held for approval (not one about to go out when its pause ends).
    waiting: bool = False


@dataclass
class Page:
    items: list[PostView]
    next_max_id: int | None


async def complete(
    session: AsyncSession, viewer_id: int | None, items: list[PostView]
) -> list[PostView]:
    """Boosted posts, counts (replies too), media, polls and the viewer's likes and boosts."""
    await attach_reblogs(session, viewer_id, items)
    items = [v for v in items if v.post.reblog_of_id is None or v.reblog is not None]
    boosts = [v for v in items if v.reblog is not None]
    await attach_extras(
        session, [v.reblog or v for v in items], viewer_id, replies=True, authors_of=boosts
    )
    return items


async def views_of(
    session: AsyncSession, viewer_id: int | None, post_ids: list[int]
) -> list[PostView]:
    """The posts `viewer_id` may see among `post_ids`, in that order, ready to render."""
    if not post_ids:
        return []
    found = await _visible(session, viewer_id, post_ids)
    return await complete(session, viewer_id, [found[i] for i in post_ids if i in found])


async def attach_extras(
    session: AsyncSession,
    views: list[PostView],
    viewer_id: int | None,
    *,
    replies: bool = False,
    authors_of: Sequence[PostView] = (),
    with_quotes: bool = True,
) -> None:
    """Counts, attachments and polls (for the few posts that have them), what the
    viewer already liked, boosted or bookmarked, and the authors' counts. `replies`: take
    the reply counts from the counter rows too (a thread counts the replies it shows
    instead); `authors_of`: views that need only their author's counts (boosts)."""
    # A post can be on a page twice (itself, and boosted by someone): both get it all.
    by_id: dict[int, list[PostView]] = {}
    for view in views:
        by_id.setdefault(view.post.id, []).append(view)
    if not by_id:
        return
    others = {v.post.id: v for v in authors_of}
    found = await page_figures.of_page(session, viewer_id, by_id.keys() | others.keys())
    for post_id, figures in found.items():
        if post_id in others:
            others[post_id].author_stats = figures.author
        for view in by_id.get(post_id, ()):
            view.author_stats = figures.author
            view.likes, view.boosts = figures.favourites, figures.reblogs
            if replies:
                view.replies = figures.replies
            view.liked, view.boosted = figures.liked, figures.boosted
            view.bookmarked = figures.bookmarked if viewer_id is not None else None
            view.muted = figures.muted if viewer_id is not None else None
    with_media = [i for i, f in found.items() if f.has_media and i in by_id]
    for item in await page_figures.media_of(session, with_media):
        assert item.post_id is not None  # chosen by post_id
        for view in by_id[item.post_id]:
            view.media.append(item)
    with_poll = [i for i, f in found.items() if f.has_poll and i in by_id]
    for poll in await page_figures.polls_of(session, with_poll):
        for view in by_id[poll.post_id]:
            view.poll = poll
    if with_quotes:
        await _attach_quotes(session, viewer_id, views)
    await _attach_waiting(session, views)
    await _attach_parents(session, viewer_id, views)


async def _attach_parents(
    session: AsyncSession, viewer_id: int | None, views: Sequence[PostView]
) -> None:
    """Who each reply answers, for its "Replying to" line: from the page itself when the
    parent is on it (a thread), else one read of the parents the viewer may see."""
    on_page = {v.post.id: v.author for v in views}
    wanted = {v.post.in_reply_to_id for v in views if v.post.in_reply_to_id is not None}
    missing = wanted - on_page.keys()
    if missing:
        on_page |= {i: v.author for i, v in (await _visible(session, viewer_id, missing)).items()}
    for view in views:
        if view.post.in_reply_to_id is not None:
            view.replying_to = on_page.get(view.post.in_reply_to_id)


async def _attach_waiting(session: AsyncSession, views: Sequence[PostView]) -> None:
    """Mark the pending replies that wait for approval; read only when a page has a
    pending reply (its author's own pages)."""
    due = [
        v.post.id
        for v in views
        if v.post.state == PostState.pending and v.post.in_reply_to_id is not None
    ]
    if not due:
        return
    waiting = await waiting_replies.waiting_among(session, due)
    for view in views:
        view.waiting = view.post.id in waiting


async def _attach_quotes(
    session: AsyncSession, viewer_id: int | None, views: Sequence[PostView]
) -> None:
    """What each quote shows this viewer: the quoted post only if they may see it."""
    shown = await quotes.shown(session, viewer_id, [v.post.id for v in views], utcnow())
    for view in views:
        view.quotes_read = True
    if not shown:
        return
    wanted = {s.quoted_post_id for s in shown.values() if s.quoted_post_id is not None}
    found = await _visible(session, viewer_id, wanted) if wanted else {}
    if found:
        await attach_extras(session, list(found.values()), viewer_id, with_quotes=False)
    authors = {s.quoted_author_id for s in shown.values() if s.quoted_author_id is not None}
    people = {}
    if authors:
        rows = await session.exec(select(Actor).where(col(Actor.id).in_(authors)))
        people = {a.id: a for a in rows.all()}
    for view in views:
        if (quote := shown.get(view.post.id)) is not None:
            view.quote = quote
            view.quoted = found.get(quote.quoted_post_id) if quote.quoted_post_id else None
            view.quoted_author = people.get(quote.quoted_author_id or 0)


async def attach_reblogs(
    session: AsyncSession, viewer_id: int | None, items: list[PostView]
) -> None:
    """Load the boosted posts the viewer may see; boosts of others are dropped."""
    wanted = {v.post.reblog_of_id for v in items if v.post.reblog_of_id is not None}
    if not wanted:
        return
    found = await _visible(session, viewer_id, wanted)
    for view in items:
        if view.post.reblog_of_id is not None:
            view.reblog = found.get(view.post.reblog_of_id)


def _posts_seen_by(anonymous: bool) -> Select[Post, Actor]:
    viewer = None if anonymous else page_figures.VIEWER
    return (
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id).in_(page_figures.IDS), visible_to(viewer))
    )


#: Posts with their authors among ids, as a visitor or as the viewer may see them.
_SEEN = {anonymous: _posts_seen_by(anonymous) for anonymous in (True, False)}


async def _visible(
    session: AsyncSession, viewer_id: int | None, post_ids: Collection[int]
) -> dict[int, PostView]:
    """The posts among `post_ids` that `viewer_id` may see, by id."""
    rows = await session.exec(
        _SEEN[viewer_id is None], params={"ids": list(post_ids), "viewer": viewer_id}
    )
    return {p.id: PostView(p, a) for p, a in rows.all()}
