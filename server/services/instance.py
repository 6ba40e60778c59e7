"""Figures about this instance as a whole, for NodeInfo and the about page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState, Post, PostState


@dataclass(frozen=True)
class Usage:
    users: int
    active_month: int
    active_halfyear: int
    local_posts: int


async def usage(session: AsyncSession, now: datetime) -> Usage:
    """Active members, those who posted or logged in recently, and published local posts."""
    active = col(Member.state) == MemberState.active

    def since(days: int):  # type: ignore[no-untyped-def]
        cutoff = now - timedelta(days=days)
        posted = select(Post.actor_id).where(col(Post.published_at) >= cutoff)
        return (
            select(func.count())
            .select_from(Member)
            .where(
                active,
                (col(Member.last_login_at) >= cutoff) | col(Member.actor_id).in_(posted),
            )
            .scalar_subquery()
        )

    users = select(func.count()).select_from(Member).where(active).scalar_subquery()
    posts = (
        select(func.count())
        .select_from(Post)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(Actor.domain).is_(None),
            col(Post.state) == PostState.published,
            col(Post.reblog_of_id).is_(None),
        )
        .scalar_subquery()
    )
    row = (await session.exec(select(users, since(30), since(180), posts))).one()
    return Usage(*(int(v) for v in row))
