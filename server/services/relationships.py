"""How a member stands with other people: follows either way, requests, blocks, mutes,
and the replies they have exchanged.

The statements here run for every reply composer and every reply posted, so they are
built once, with bound parameters, rather than on each call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BindParameter,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    union_all,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from server.clock import utcnow
from server.models import Block, Follow, FollowState, Mute, ReplyFact


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


def _between_statement() -> Any:
    viewer: BindParameter[int] = bindparam("viewer")
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    # One statement for follows both ways, blocks both ways and mutes.
    return union_all(
        select(literal("out"), Follow.followed_id, Follow.state).where(
            col(Follow.follower_id) == viewer, col(Follow.followed_id).in_(ids)
        ),
        select(literal("in"), Follow.follower_id, Follow.state).where(
            col(Follow.followed_id) == viewer, col(Follow.follower_id).in_(ids)
        ),
        select(literal("blocking"), Block.target_id, literal("")).where(
            col(Block.actor_id) == viewer, col(Block.target_id).in_(ids)
        ),
        select(literal("blocked_by"), Block.actor_id, literal("")).where(
            col(Block.target_id) == viewer, col(Block.actor_id).in_(ids)
        ),
        select(literal("muting"), Mute.target_id, cast(Mute.notifications, String)).where(
            col(Mute.actor_id) == viewer,
            col(Mute.target_id).in_(ids),
            # A mute past its end is over, whether or not its row is still there.
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        ),
    )


BETWEEN = _between_statement()


async def between(
    session: AsyncSession,
    viewer_id: int,
    target_ids: Sequence[int],
    now: datetime | None = None,
) -> list[Relationship]:
    """The viewer's relationship with each of `target_ids`, in that order, at `now`
    (a mute that ended by then is over)."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return []
    rows = await session.exec(
        BETWEEN, params={"viewer": viewer_id, "ids": ids, "now": now or utcnow()}
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
    #: No follow either way, and no reply exchanged either way yet.
    stranger = "stranger"


EXCHANGE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class History:
    """Replies two people wrote to each other (either way), and the last one's time."""

    exchanged: int
    last_at: datetime | None


def _exchange_statement(since: bool) -> Any:
    one: BindParameter[int] = bindparam("one")
    other: BindParameter[int] = bindparam("other")
    # Published replies, from their facts: two walks of the (actor, parent's author) index.
    query = select(func.count(), func.max(ReplyFact.at)).where(
        or_(
            and_(col(ReplyFact.actor_id) == one, col(ReplyFact.parent_actor_id) == other),
            and_(col(ReplyFact.actor_id) == other, col(ReplyFact.parent_actor_id) == one),
        )
    )
    return query.where(col(ReplyFact.at) > bindparam("since")) if since else query


EXCHANGED = _exchange_statement(since=False)
EXCHANGED_SINCE = _exchange_statement(since=True)


async def history(
    session: AsyncSession, one: int, other: int, *, since: datetime | None = None
) -> History:
    """The published replies `one` and `other` wrote to each other (since `since`)."""
    params: dict[str, object] = {"one": one, "other": other}
    if since is not None:
        params["since"] = since
    query = EXCHANGED if since is None else EXCHANGED_SINCE
    count, last = (await session.exec(query, params=params)).one()
    return History(int(count), last)


async def reply_situation(
    session: AsyncSession, author_id: int, answered_id: int, now: datetime
) -> Situation:
    """Which pause a reply from `author_id` to `answered_id` gets."""
    if author_id == answered_id:
        return Situation.usual
    found = (await between(session, author_id, [answered_id]))[0]
    if found.following and found.followed_by:
        recent = await history(session, author_id, answered_id, since=now - EXCHANGE_WINDOW)
        return Situation.mutual_exchange if recent.exchanged else Situation.usual
    unrelated = not (found.following or found.requested or found.followed_by or found.requested_by)
    if unrelated and not (await history(session, author_id, answered_id)).exchanged:
        return Situation.stranger
    return Situation.usual
