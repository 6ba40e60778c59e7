"""Per-thread slow mode: one reply per person every few minutes while a thread runs hot.

A thread slows down by itself when many replies come quickly from people who do not
follow its author (the numbers are norms), or when its author or a moderator turns it
on. Its author is never slowed in their own thread. The thread shows why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind, Follow, FollowState, Post, PostState, ThreadSetting
from server.services import care
from server.services.errors import Forbidden, NotFound, RateLimited
from server.services.norm_settings import norm_field, seconds
from server.services.visibility import visible_to


@dataclass(frozen=True)
class Limits:
    """When a thread runs hot, and how often each person may reply then (norms)."""

    hot_replies: int = norm_field("slowmode.hot_replies")
    hot_minutes: int = norm_field("slowmode.hot_minutes")
    interval: timedelta = norm_field("slowmode.interval_seconds", seconds)


@dataclass(frozen=True)
class SlowMode:
    """Whether a thread is slowed, and why (in words for its banner)."""

    on: bool
    reason: str = ""
    manual: bool = False


def _quick_replies_statement() -> Any:
    author: BindParameter[int] = bindparam("author")
    followers = select(Follow.follower_id).where(
        Follow.followed_id == author, Follow.state == FollowState.accepted
    )
    return (
        select(func.count())
        .select_from(Post)
        .where(
            col(Post.root_id) == bindparam("root"),
            col(Post.in_reply_to_id).is_not(None),
            col(Post.created_at) > bindparam("since"),
            col(Post.state) != PostState.deleted,
            col(Post.actor_id) != author,
            col(Post.actor_id).not_in(followers),
        )
    )


#: Replies to a thread lately from people who do not follow its author. Built once: it
#: runs for every reply composer and every reply posted.
QUICK_REPLIES = _quick_replies_statement()


async def of(session: AsyncSession, root: Post, limits: Limits, now: datetime) -> SlowMode:
    setting = await session.get(ThreadSetting, root.id)
    if setting is not None:
        if setting.slow_mode:
            return SlowMode(True, "its author or a moderator slowed it down", manual=True)
        return SlowMode(False, manual=True)  # turned off by hand: it stays off
    since = now - timedelta(minutes=limits.hot_minutes)
    params = {"root": root.id, "author": root.actor_id, "since": since}
    quick = (await session.exec(QUICK_REPLIES, params=params)).one()
    if quick >= limits.hot_replies:
        return SlowMode(
            True,
            f"{quick} replies came in the last {limits.hot_minutes} minutes from people "
            "who do not follow its author",
        )
    return SlowMode(False)


async def check(
    session: AsyncSession, author_id: int, root: Post, limits: Limits, now: datetime
) -> bool:
    """RateLimited when `author_id` replied in this slowed thread too recently; else
    whether the reply goes into a slowed thread (its pause is then longer)."""
    if author_id == root.actor_id:
        return False  # nobody is slowed in their own thread
    mode = await of(session, root, limits, now)
    if not mode.on:
        return False
    last = (
        await session.exec(
            select(func.max(Post.created_at)).where(
                col(Post.root_id) == root.id,
                col(Post.actor_id) == author_id,
                col(Post.in_reply_to_id).is_not(None),
            )
        )
    ).one()
    if last is None or now - last >= limits.interval:
        return True
    wait = max(1, int((last + limits.interval - now).total_seconds()))
    await _note_slowed(session, root, "manual" if mode.manual else "hot", now)
    minutes = round(limits.interval.total_seconds() / 60, 1)
    raise RateLimited(
        f"This thread is in slow mode ({mode.reason}): one reply per person every "
        f"{minutes:g} minutes. You can reply again in {wait} seconds.",
        retry_after=wait,
    )


async def set_by_hand(
    session: AsyncSession, actor_id: int, moderator: bool, root_id: int, on: bool, now: datetime
) -> None:
    """The thread's author or a moderator turns slow mode on or off.

    A thread the actor cannot see is not found, whoever they are, moderators included:
    the answer is the same as for a thread that does not exist.
    """
    found = await session.exec(
        select(Post).where(col(Post.id) == root_id, visible_to(actor_id)),
    )
    root = found.first()
    if root is None or root.root_id != root.id or root.state != PostState.published:
        raise NotFound("This thread does not exist, or you cannot see it.")
    if root.actor_id != actor_id and not moderator:
        raise Forbidden("Only the thread's author or a moderator can change its slow mode.")
    row = await session.get(ThreadSetting, root_id) or ThreadSetting(root_id=root_id)
    row.slow_mode, row.set_by_id, row.set_at = on, actor_id, now
    session.add(row)
    await session.commit()
    if on:  # by its author ("manual") or by a moderator
        how = "manual" if actor_id == root.actor_id else "moderator"
        await _note_slowed(session, root, how, now)


async def _note_slowed(session: AsyncSession, root: Post, how: str, now: datetime) -> None:
    """One care event per slowed thread, for the dashboard."""
    seen = await session.exec(
        select(CareEvent.id).where(
            CareEvent.kind == CareKind.slow_mode, CareEvent.post_id == root.id
        )
    )
    if seen.first() is None:
        await care.shown(
            session, CareKind.slow_mode, now, actor_id=root.actor_id, post_id=root.id, detail=how
        )
