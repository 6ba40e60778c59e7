"""Figures about this instance as a whole, for NodeInfo and the about page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberRole, MemberState, Post, PostState
from server.services.norms import Norms


@dataclass(frozen=True)
class Usage:
    users: int
    active_month: int
    active_halfyear: int
    local_posts: int


async def usage(session: AsyncSession, now: datetime) -> Usage:
    """Active members, those who posted or logged in recently, and published local posts."""
    active = col(Member.state) == MemberState.active

    def since(days: int):
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


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    hint: str


def rules(found: Norms) -> list[Rule]:
    """The community's rules as apps list them, with the pause in words after them."""
    seconds = found["pause.post_seconds"]
    pause = f"{seconds} seconds" if seconds < 120 else f"{seconds // 60} minutes"
    listed = [Rule(str(i), text, "") for i, text in enumerate(found["rules.text"], start=1)]
    listed.append(
        Rule(
            str(len(listed) + 1),
            f"Every post waits {pause} before it goes out.",
            "You can edit or withdraw it during the pause, from any app.",
        )
    )
    return listed


async def contact(session: AsyncSession) -> Actor | None:
    """Whom to contact about this instance: its first admin."""
    row = await session.exec(
        select(Actor)
        .join(Member, col(Member.actor_id) == Actor.id)
        .where(Member.role == MemberRole.admin, Member.state == MemberState.active)
        .order_by(col(Member.id))
        .limit(1)
    )
    return row.first()


async def known_servers(session: AsyncSession) -> int:
    """How many other servers Porch knows people on."""
    query = select(func.count(func.distinct(Actor.domain))).where(col(Actor.domain).is_not(None))
    return int((await session.exec(query)).one())
