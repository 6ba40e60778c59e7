"""The daily budget of top-level posts: how many a member has left, and when the next frees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Post
from server.services.errors import RateLimited

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Budget:
    limit: int
    used: int
    #: When the oldest post in the window leaves it (None while posts are left).
    next_free_at: datetime | None

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


async def of(
    session: AsyncSession,
    author: Actor,
    now: datetime,
    *,
    daily: int,
    newcomer_daily: int,
    newcomer_days: int,
) -> Budget:
    """The member's budget now. Withdrawn posts give their place back; published and
    pending ones count, and so do deleted ones (deleting does not refill the day)."""
    newcomer = now - author.created_at < timedelta(days=newcomer_days)
    limit = newcomer_daily if newcomer else daily
    params = {"author": author.id, "since": now - WINDOW}
    used, oldest = (await session.exec(USED, params=params)).one()
    next_free = None
    if used >= limit:
        # The place that frees first is the oldest post inside the window.
        rows = await session.exec(NTH_NEWEST, params=params | {"nth": limit - 1})
        anchor = rows.first() or oldest
        next_free = anchor + WINDOW if anchor else None
    return Budget(limit, int(used), next_free)


def _counted() -> Any:
    """The top-level posts of `author` written since `since` (withdrawn ones aside)."""
    return (
        col(Post.actor_id) == bindparam("author"),
        col(Post.in_reply_to_id).is_(None),
        col(Post.reblog_of_id).is_(None),
        col(Post.created_at) > bindparam("since"),
    )


#: Built once: every post asks, and building the statement cost more than running it.
USED = select(func.count(), func.min(Post.created_at)).where(*_counted())
NTH_NEWEST = (
    select(Post.created_at)
    .where(*_counted())
    .order_by(col(Post.created_at).desc())
    .offset(bindparam("nth"))
    .limit(1)
)


def _written_statement() -> Any:
    # Counting stops at `up_to`: the composer asks "fewer than 5?" of members who may
    # have written thousands.
    mine = (
        select(Post.id)
        .where(col(Post.actor_id) == bindparam("author"), col(Post.reblog_of_id).is_(None))
        .limit(bindparam("up_to"))
        .subquery()
    )
    return select(func.count()).select_from(mine)


WRITTEN = _written_statement()


async def written(session: AsyncSession, author: Actor, *, up_to: int) -> int:
    """How many posts and replies the member has written, ever (withdrawn ones aside),
    counted up to `up_to`."""
    params = {"author": author.id, "up_to": up_to}
    return int((await session.exec(WRITTEN, params=params)).one())


def refuse_if_spent(budget: Budget, now: datetime) -> None:
    """RateLimited (429 with Retry-After) when no post is left, saying when one is."""
    if budget.left > 0 or budget.next_free_at is None:
        return
    wait = max(1, int((budget.next_free_at - now).total_seconds()))
    hours, minutes = divmod((wait + 59) // 60, 60)
    when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    raise RateLimited(
        f"You have written {budget.limit} posts in the last 24 hours, this community's "
        f"daily budget. You can post again in {when}; replies are not counted.",
        retry_after=wait,
    )
