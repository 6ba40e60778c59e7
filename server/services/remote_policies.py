"""A remote post's interaction policy as its server publishes it, kept over Updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Attachment, Post
from server.models.interaction_policies import PostPolicy
from server.services.interaction_policies import Policy

if TYPE_CHECKING:  # remote_posts imports this module
    from server.services.remote_posts import RemotePost


async def only_policy_changed(session: AsyncSession, post: Post, note: RemotePost) -> bool:
    """An Update that changes nothing a reader sees but the post's interaction policy
    (its author changed who may reply or quote): the policy is replaced, no new version
    is kept, and the caller is done."""
    if note.poll is not None:
        return False  # a poll's choices may have changed: an edit
    media = await session.exec(
        select(Attachment.url)
        .where(col(Attachment.post_id) == post.id)
        .order_by(col(Attachment.position))
    )
    if (post.content_html, post.spoiler_text, post.sensitive, list(media.all())) != (
        note.content_html,
        note.spoiler_text,
        note.sensitive,
        [m.url for m in note.media],
    ):
        return False
    await replace_policy(session, post, note.policy)
    return True


async def replace_policy(session: AsyncSession, post: Post, policy: Policy | None) -> None:
    """The remote post's interaction policy as its server now publishes it (None: none,
    so the reading of silence applies)."""
    await session.exec(delete(PostPolicy).where(col(PostPolicy.post_id) == post.id))
    if policy is not None:
        session.add(PostPolicy(post_id=post.id, policy=policy.to_json()))
    await session.commit()
