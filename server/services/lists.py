"""Lists: a member's own selections of people they follow, each read as a timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, ListMember, PersonList, RepliesPolicy
from server.services import feeds, paging
from server.services.errors import Invalid, NotFound
from server.services.events import announce, relation_changed
from server.services.paging import Window
from server.services.rows import insert_once

MAX_LISTS = 50
MAX_TITLE = 100


def _title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise Invalid("Give the list a title.", field="title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"List titles are at most {MAX_TITLE} characters.", field="title")
    return title


def _policy(name: str | None) -> RepliesPolicy:
    try:
        return RepliesPolicy(name or RepliesPolicy.list)
    except ValueError:
        raise Invalid(
            "replies_policy must be followed, list or none.", field="replies_policy"
        ) from None


async def of(session: AsyncSession, actor_id: int) -> list[PersonList]:
    rows = await session.exec(
        select(PersonList).where(PersonList.actor_id == actor_id).order_by(col(PersonList.id))
    )
    return list(rows.all())


async def own(session: AsyncSession, actor_id: int, list_id: int) -> PersonList:
    found = await session.get(PersonList, list_id)
    if found is None or found.actor_id != actor_id:
        raise NotFound("This list does not exist.")
    return found


async def create(
    session: AsyncSession,
    actor_id: int,
    *,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool,
    now: datetime,
) -> PersonList:
    if len(await of(session, actor_id)) >= MAX_LISTS:
        raise Invalid(f"You can have at most {MAX_LISTS} lists.")
    row = PersonList(
        actor_id=actor_id,
        title=_title(title),
        replies_policy=_policy(replies_policy),
        exclusive=exclusive,
        created_at=now,
    )
    session.add(row)
    await session.commit()
    return row


async def change(
    session: AsyncSession,
    actor_id: int,
    list_id: int,
    *,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> PersonList:
    """Change what is given; the rest stays."""
    row = await own(session, actor_id, list_id)
    if title is not None:
        row.title = _title(title)
    if replies_policy is not None:
        row.replies_policy = _policy(replies_policy)
    if exclusive is not None:
        if row.exclusive != exclusive:
            _home_changed(session, actor_id)
        row.exclusive = exclusive
    session.add(row)
    await session.flush()
    await feeds.refeed(session, actor_id, home=exclusive is not None, lists=[list_id])
    await session.commit()
    return row


async def remove(session: AsyncSession, actor_id: int, list_id: int) -> None:
    row = await own(session, actor_id, list_id)
    await session.exec(delete(ListMember).where(col(ListMember.list_id) == list_id))
    await session.delete(row)
    await feeds.drop_list(session, list_id)
    if row.exclusive:  # its people come back to home
        _home_changed(session, actor_id)
        await session.flush()
        await feeds.refeed(session, actor_id, lists=[])
    await session.commit()


async def members(
    session: AsyncSession, actor_id: int, list_id: int, window: Window
) -> list[Actor]:
    await own(session, actor_id, list_id)
    query = (
        select(Actor)
        .join(ListMember, col(ListMember.actor_id) == Actor.id)
        .where(ListMember.list_id == list_id)
    )
    return await paging.rows(session, query, col(Actor.id), window)


async def add(
    session: AsyncSession, actor_id: int, list_id: int, account_ids: Sequence[int]
) -> None:
    """Put people on the list: only people the member follows, as in Mastodon."""
    await own(session, actor_id, list_id)
    ids = list(dict.fromkeys(account_ids))
    followed = set(
        (
            await session.exec(
                select(Follow.followed_id).where(
                    Follow.follower_id == actor_id,
                    Follow.state == FollowState.accepted,
                    col(Follow.followed_id).in_(ids),
                )
            )
        ).all()
    )
    missing = [i for i in ids if i not in followed]
    if missing:
        raise Invalid("You can only put people you follow on a list.", field="account_ids")
    for person in ids:  # one statement each: adding at once from two apps is adding once
        await session.exec(insert_once(session, ListMember, list_id=list_id, actor_id=person))
    await _refeed(session, actor_id, list_id)
    await session.commit()


async def take_off(
    session: AsyncSession, actor_id: int, list_id: int, account_ids: Sequence[int]
) -> None:
    await own(session, actor_id, list_id)
    await session.exec(
        delete(ListMember).where(
            col(ListMember.list_id) == list_id, col(ListMember.actor_id).in_(list(account_ids))
        )
    )
    await _refeed(session, actor_id, list_id)
    await session.commit()


async def _refeed(session: AsyncSession, actor_id: int, list_id: int) -> None:
    """The list's people changed: its feed, and home if it is exclusive, are rebuilt."""
    chosen = await own(session, actor_id, list_id)
    if chosen.exclusive:
        _home_changed(session, actor_id)
    await feeds.refeed(session, actor_id, home=chosen.exclusive, lists=[list_id])


def _home_changed(session: AsyncSession, actor_id: int) -> None:
    # Who is read on home (and in Conversations) changed: a kept order is out of date.
    announce(session, relation_changed(actor_id))


async def containing(session: AsyncSession, actor_id: int, person_id: int) -> list[PersonList]:
    """The member's lists that `person_id` is on."""
    rows = await session.exec(
        select(PersonList)
        .join(ListMember, col(ListMember.list_id) == PersonList.id)
        .where(PersonList.actor_id == actor_id, ListMember.actor_id == person_id)
        .order_by(col(PersonList.id))
    )
    return list(rows.all())


async def forget(session: AsyncSession, owner_id: int, person_id: int) -> None:
    """Take `person_id` off all of `owner_id`'s lists (they stopped following them);
    the caller commits."""
    owned = select(PersonList.id).where(PersonList.actor_id == owner_id)
    await session.exec(
        delete(ListMember).where(
            col(ListMember.list_id).in_(owned), col(ListMember.actor_id) == person_id
        )
    )
