"""How a member stands with other people: follows either way, requests, blocks, mutes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Block, Follow, FollowState, Mute


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
    follows = await session.exec(
        select(Follow.follower_id, Follow.followed_id, Follow.state).where(
            or_(
                (col(Follow.follower_id) == viewer_id) & col(Follow.followed_id).in_(ids),
                (col(Follow.followed_id) == viewer_id) & col(Follow.follower_id).in_(ids),
            )
        )
    )
    outgoing: dict[int, FollowState] = {}
    incoming: dict[int, FollowState] = {}
    for follower, followed, state in follows.all():
        if follower == viewer_id:
            outgoing[followed] = state
        else:
            incoming[follower] = state
    blocks = await session.exec(
        select(Block.actor_id, Block.target_id).where(
            or_(
                (col(Block.actor_id) == viewer_id) & col(Block.target_id).in_(ids),
                (col(Block.target_id) == viewer_id) & col(Block.actor_id).in_(ids),
            )
        )
    )
    blocking: set[int] = set()
    blocked_by: set[int] = set()
    for actor_id, target_id in blocks.all():
        if actor_id == viewer_id:
            blocking.add(target_id)
        else:
            blocked_by.add(actor_id)
    mutes = await session.exec(
        select(Mute.target_id, Mute.notifications).where(
            col(Mute.actor_id) == viewer_id, col(Mute.target_id).in_(ids)
        )
    )
    muting = dict(mutes.all())
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
