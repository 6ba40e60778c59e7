"""Counts shown beside people and posts, read for a whole page at once from the counter
rows (server/services/counters.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    ActorCounter,
    Follow,
    FollowState,
    PostCounter,
    Preferences,
    Visibility,
)
from server.services import statements


@dataclass(frozen=True)
class AccountStats:
    statuses: int = 0
    followers: int = 0
    following: int = 0
    last_status_at: datetime | None = None


@dataclass(frozen=True)
class PostStats:
    favourites: int = 0
    reblogs: int = 0
    #: Public and unlisted replies: the same number for every viewer.
    replies: int = 0


NO_ACCOUNT_STATS = AccountStats()
NO_POST_STATS = PostStats()

# Built once with an expanding parameter: no statement or cache key is made per page.
_OF_ACCOUNTS = select(
    col(ActorCounter.actor_id),
    col(ActorCounter.statuses_count),
    col(ActorCounter.followers_count),
    col(ActorCounter.following_count),
    col(ActorCounter.last_status_at),
).where(col(ActorCounter.actor_id).in_(bindparam("ids", expanding=True)))
_OF_POSTS = select(
    col(PostCounter.post_id),
    col(PostCounter.favourites_count),
    col(PostCounter.reblogs_count),
    col(PostCounter.replies_count),
).where(col(PostCounter.post_id).in_(bindparam("ids", expanding=True)))

_WAITING = (
    select(func.count())
    .where(col(Follow.followed_id) == bindparam("id"), col(Follow.state) == FollowState.requested)
    .scalar_subquery()
)
# The visibility their new posts start with (Settings > Preferences), read along.
_PRIVACY = (
    select(col(Preferences.default_visibility))
    .where(col(Preferences.actor_id) == bindparam("id"))
    .scalar_subquery()
)
_OF_OWN_ACCOUNT = (
    select(
        col(ActorCounter.statuses_count),
        col(ActorCounter.followers_count),
        col(ActorCounter.following_count),
        col(ActorCounter.last_status_at),
        _WAITING,
        _PRIVACY,
    )
    .select_from(Actor)
    .outerjoin(ActorCounter, col(ActorCounter.actor_id) == Actor.id)
    .where(col(Actor.id) == bindparam("id"))
)


async def of_own_account(
    session: AsyncSession, actor_id: int
) -> tuple[AccountStats, int, Visibility]:
    """A member's own figures, how many follow requests wait for their answer, and the
    visibility their new posts start with, in one statement (what the client API's
    credential account shows)."""
    row = (await statements.execute(session, _OF_OWN_ACCOUNT, {"id": actor_id})).first()
    if row is None:
        return NO_ACCOUNT_STATS, 0, Visibility.public
    statuses, followers, following, last, waiting, privacy = row
    chosen = Visibility(privacy or Visibility.public)
    if statuses is None:  # no counter row yet
        return NO_ACCOUNT_STATS, waiting, chosen
    return AccountStats(statuses, followers, following, last), waiting, chosen


async def of_accounts(session: AsyncSession, actor_ids: Collection[int]) -> dict[int, AccountStats]:
    """Published posts (boosts included), accepted followers and follows, per person:
    one statement for a whole page of people."""
    ids = list(set(actor_ids))
    if not ids:
        return {}
    found = dict.fromkeys(ids, NO_ACCOUNT_STATS)
    rows = await statements.execute(session, _OF_ACCOUNTS, {"ids": ids})
    for actor_id, statuses, followers, following, last in rows.all():
        found[actor_id] = AccountStats(statuses, followers, following, last)
    return found


async def of_posts(session: AsyncSession, post_ids: Collection[int]) -> dict[int, PostStats]:
    """Likes, boosts and public replies per post, in one statement."""
    ids = list(set(post_ids))
    if not ids:
        return {}
    found = dict.fromkeys(ids, NO_POST_STATS)
    rows = await statements.execute(session, _OF_POSTS, {"ids": ids})
    for post_id, favourites, reblogs, replies in rows.all():
        found[post_id] = PostStats(favourites, reblogs, replies)
    return found
