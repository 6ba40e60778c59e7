"""Reading posts: the one a viewer may see, its earlier versions, and what posts refer to.

Composing, withdrawing and deleting are server/services/posts.py. `details_of` reads
mentions, hashtags, attachments and parents for many posts at once, in a fixed number
of queries, for renderings beyond the timeline (ActivityPub documents, the client API).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Attachment, Mention, Post, PostEdit, PostTag
from server.services.errors import NotFound
from server.services.visibility import visible_to

#: Built once (building and keying the visibility condition costs more than the query):
#: for a viewer, and for someone logged out.
VISIBLE_POST = select(Post).where(
    col(Post.id) == bindparam("post"), visible_to(bindparam("viewer"))
)
PUBLIC_POST = select(Post).where(col(Post.id) == bindparam("post"), visible_to(None))


async def get_visible(session: AsyncSession, viewer_id: int | None, post_id: int) -> Post:
    """The post if `viewer_id` may see it; NotFound otherwise (never saying it exists)."""
    if viewer_id is None:
        found = await session.exec(PUBLIC_POST, params={"post": post_id})
    else:
        found = await session.exec(VISIBLE_POST, params={"post": post_id, "viewer": viewer_id})
    post = found.first()
    if post is None:
        raise NotFound("This post does not exist, or you cannot see it.")
    return post


async def history(session: AsyncSession, post_id: int) -> list[PostEdit]:
    """Earlier versions of a post, oldest first."""
    rows = await session.exec(
        select(PostEdit).where(PostEdit.post_id == post_id).order_by(col(PostEdit.id))
    )
    return list(rows.all())


@dataclass
class Details:
    """What a post refers to, for renderings beyond the timeline (ActivityPub, API)."""

    mentions: list[Actor]
    tags: list[str]
    attachments: list[Attachment]
    parent: tuple[Post, Actor] | None


async def details(session: AsyncSession, post: Post) -> Details:
    """The post's mentioned people, hashtags, attachments and parent (with its author)."""
    return (await details_of(session, [post]))[post.id]


async def details_of(
    session: AsyncSession, posts: list[Post], *, with_media: bool = True
) -> dict[int, Details]:
    """`details` for many posts at once: four queries, however many posts (three when
    the caller has the attachments already)."""
    found = {p.id: Details([], [], [], None) for p in posts}
    if not found:
        return found
    mentions = await session.exec(
        select(Mention.post_id, Actor)
        .join(Actor, col(Actor.id) == Mention.actor_id)
        .where(col(Mention.post_id).in_(found))
    )
    for post_id, actor in mentions.all():
        found[post_id].mentions.append(actor)
    tags = await session.exec(
        select(PostTag.post_id, PostTag.tag).where(col(PostTag.post_id).in_(found))
    )
    for post_id, tag in tags.all():
        found[post_id].tags.append(tag)
    if with_media:
        media = await session.exec(
            select(Attachment)
            .where(col(Attachment.post_id).in_(found))
            .order_by(col(Attachment.position))
        )
        for item in media.all():
            assert item.post_id is not None
            found[item.post_id].attachments.append(item)
    parent_ids = {p.in_reply_to_id for p in posts if p.in_reply_to_id is not None}
    if parent_ids:
        parents = await session.exec(
            select(Post, Actor)
            .join(Actor, col(Actor.id) == Post.actor_id)
            .where(col(Post.id).in_(parent_ids))
        )
        by_id = {parent.id: (parent, author) for parent, author in parents.all()}
        for post in posts:
            if post.in_reply_to_id is not None:
                found[post.id].parent = by_id.get(post.in_reply_to_id)
    for each in found.values():
        each.tags.sort()
    return found
