"""Searching what Porch already knows: people by name or handle, hashtags by name.

Finding people and posts on other servers (WebFinger, fetching a URL) belongs to the
federation door; this module never leaves the database.
"""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Member, MemberState, PostTag


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.lower() + "%"


async def people(
    session: AsyncSession,
    text: str,
    *,
    limit: int,
    offset: int = 0,
    followed_by: int | None = None,
) -> list[Actor]:
    """People whose handle or display name starts with `text` (members first)."""
    text = text.strip().lstrip("@")
    if not text:
        return []
    like = _pattern(text)
    query = (
        select(Actor)
        .outerjoin(Member, col(Member.actor_id) == Actor.id)
        .where(
            col(Actor.suspended_at).is_(None),
            or_(col(Member.id).is_(None), col(Member.state) == MemberState.active),
            or_(
                col(Actor.acct_key).like(like, escape="\\"),
                func.lower(Actor.display_name).like(like, escape="\\"),
            ),
        )
    )
    if followed_by is not None:
        followed = select(Follow.followed_id).where(
            Follow.follower_id == followed_by, Follow.state == FollowState.accepted
        )
        query = query.where(col(Actor.id).in_(followed))
    query = query.order_by(col(Actor.domain).is_not(None), col(Actor.acct_key))
    rows = await session.exec(query.offset(offset).limit(limit))
    return list(rows.all())


async def hashtags(session: AsyncSession, text: str, *, limit: int, offset: int = 0) -> list[str]:
    """Hashtags in use that start with `text`, most used first."""
    text = text.strip().lstrip("#")
    if not text:
        return []
    rows = await session.exec(
        select(PostTag.tag)
        .where(col(PostTag.tag).like(_pattern(text), escape="\\"))
        .group_by(col(PostTag.tag))
        .order_by(func.count().desc(), col(PostTag.tag))
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all())
