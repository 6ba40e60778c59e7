"""Posts made ready to render: a page's boosted posts, media, polls, counts, and what the
viewer already did with them, read in a few statements for the whole page.

Counts come from the counter rows (server/services/counters.py): the same figures for
every viewer, so renderings may cache everything else and lay the counts over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import literal, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Attachment, Like, Poll, Post
from server.services import statements, stats
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
    await attach_extras(session, [v.reblog or v for v in items], viewer_id, replies=True)
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
    return await complete(session, viewer_id, [found[i] for i in post_ids if i in found])


async def attach_extras(
    session: AsyncSession, views: list[PostView], viewer_id: int | None, *, replies: bool = False
) -> None:
    """Counts, attachments and polls (for the few posts that have them), and what the
    viewer already liked or boosted. `replies`: take the reply counts from the counter
    rows too (a thread counts the replies it shows instead)."""
    by_id = {v.post.id: v for v in views}
    if not by_id:
        return
    for post_id, figures in (await stats.of_posts(session, by_id)).items():
        view = by_id[post_id]
        view.likes, view.boosts = figures.favourites, figures.reblogs
        if replies:
            view.replies = figures.replies
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


async def attach_reblogs(
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
