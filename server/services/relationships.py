"""How a member stands with other people: follows either way, requests, blocks, mutes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, cast, func, literal, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Block, Follow, FollowState, Mute, Post, PostState


@dataclass(frozen=True)
class Relationship:
    target_id: int
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    requested_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False


async def between(
    session: AsyncSession, viewer_id: int, target_ids: Sequence[int]
) -> list[Relationship]:
    """The viewer's relationship with each of `target_ids`, in that order."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return []
    # One statement for follows both ways, blocks both ways and mutes: this runs for
    # every reply composer and every relationships call of the apps.
    rows = await session.exec(
        union_all(
            select(literal("out"), Follow.followed_id, Follow.state).where(
                col(Follow.follower_id) == viewer_id, col(Follow.followed_id).in_(ids)
            ),
            select(literal("in"), Follow.follower_id, Follow.state).where(
                col(Follow.followed_id) == viewer_id, col(Follow.follower_id).in_(ids)
            ),
            select(literal("blocking"), Block.target_id, literal("")).where(
                col(Block.actor_id) == viewer_id, col(Block.target_id).in_(ids)
            ),
            select(literal("blocked_by"), Block.actor_id, literal("")).where(
                col(Block.target_id) == viewer_id, col(Block.actor_id).in_(ids)
            ),
            select(literal("muting"), Mute.target_id, cast(Mute.notifications, String)).where(
                col(Mute.actor_id) == viewer_id, col(Mute.target_id).in_(ids)
            ),
        )  # type: ignore[call-overload]
    )
    outgoing: dict[int, str] = {}
    incoming: dict[int, str] = {}
    blocking: set[int] = set()
    blocked_by: set[int] = set()
    muting: dict[int, bool] = {}
    for kind, actor_id, value in rows.all():
        if kind == "out":
            outgoing[actor_id] = value
        elif kind == "in":
            incoming[actor_id] = value
        elif kind == "blocking":
            blocking.add(actor_id)
        elif kind == "blocked_by":
            blocked_by.add(actor_id)
        else:
            # A boolean cast to text: "true" on PostgreSQL, "1" on SQLite.
            muting[actor_id] = str(value).lower() in ("true", "1")
    return [
        Relationship(
            target_id=i,
            following=outgoing.get(i) == FollowState.accepted,
            requested=outgoing.get(i) == FollowState.requested,
            followed_by=incoming.get(i) == FollowState.accepted,
            requested_by=incoming.get(i) == FollowState.requested,
            blocking=i in blocking,
            blocked_by=i in blocked_by,
            muting=i in muting,
            muting_notifications=bool(muting.get(i, False)),
        )
        for i in ids
    ]


class Situation(StrEnum):
    """How a reply's author stands with the person answered; it sets the reply's pause."""

    usual = "usual"
    #: Mutual follows who exchanged replies this past week: dialogue should flow.
    mutual_exchange = "mutual_exchange"
    #: No follow either way and never answered before.
    stranger = "stranger"


EXCHANGE_WINDOW = timedelta(days=7)


async def replies_between(
    session: AsyncSession, author_id: int, other_id: int, *, since: datetime | None = None
) -> int:
    """How many replies `author_id` wrote to `other_id`'s posts (since `since`)."""
    parent = aliased(Post)
    query = (
        select(func.count())
        .select_from(Post)
        .join(parent, col(parent.id) == col(Post.in_reply_to_id))
        .where(
            col(Post.actor_id) == author_id,
            col(parent.actor_id) == other_id,
            col(Post.state) != PostState.deleted,
        )
    )
    if since is not None:
        query = query.where(col(Post.created_at) > since)
    return int((await session.exec(query)).one())


async def reply_situation(
    session: AsyncSession, author_id: int, answered_id: int, now: datetime
) -> Situation:
    """Which pause a reply from `author_id` to `answered_id` gets."""
    if author_id == answered_id:
        return Situation.usual
    found = (await between(session, author_id, [answered_id]))[0]
    if found.following and found.followed_by:
        since = now - EXCHANGE_WINDOW
        recent = await replies_between(session, author_id, answered_id, since=since)
        recent += await replies_between(session, answered_id, author_id, since=since)
        return Situation.mutual_exchange if recent else Situation.usual
    unrelated = not (found.following or found.requested or found.followed_by or found.requested_by)
    if unrelated and not await replies_between(session, author_id, answered_id):
        return Situation.stranger
    return Situation.usual
