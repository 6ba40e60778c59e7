"""Notifications: written when something happens to a member, read on their page."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import utcnow
from server.models import (
    Actor,
    Domain,
    DomainPolicy,
    Follow,
    FollowState,
    Mention,
    Notification,
    NotificationKind,
    Post,
)
from server.services import notification_policy, shields
from server.services.errors import NotFound
from server.services.events import Event, EventKind, announce
from server.services.paging import Window
from server.services.visibility import visible_to


async def for_new_post(
    session: AsyncSession, post: Post, now: datetime, mention_ids: Collection[int] | None = None
) -> None:
    """Tell local people about a post that just reached them: the author of the post it
    answers, and everyone it mentions. Nobody hears of a post they could not open.

    One SELECT finds who is told and one INSERT writes them all, however many the post
    mentions (the caller commits). A caller that knows the post mentions nobody says so
    with an empty `mention_ids`, and a post that answers nobody then costs no query.
    """
    if post.in_reply_to_id is None and mention_ids is not None and not mention_ids:
        return
    params = {"post": post.id, "parent": post.in_reply_to_id or 0}
    found = await session.exec(TOLD_OF_NEW_POST, params=params)
    told = [
        (recipient_id, NotificationKind.reply if replied_to else NotificationKind.mention)
        for recipient_id, replied_to in found.all()
        if recipient_id != post.actor_id  # nobody is told of their own acts
    ]
    # A reply counts towards its thread's pile-on shield, which gathers what it tells.
    told = await shields.replied(session, post, told, now)
    await add_many(session, told, from_actor_id=post.actor_id, post_id=post.id, now=now)


async def add_many(
    session: AsyncSession,
    told: list[tuple[int, NotificationKind]],
    *,
    from_actor_id: int,
    post_id: int | None,
    now: datetime,
) -> list[int]:
    """Write one notification per (recipient, kind) in `told` with one INSERT, in the
    caller's transaction, as each recipient's notification policy has it (some kept in
    their filtered inbox, some never written); returns the ids written."""
    kept = await notification_policy.sort(
        session, told, from_actor_id=from_actor_id, post_id=post_id, now=now
    )
    if not kept:
        return []
    rows = [
        {
            "recipient_id": recipient_id,
            "kind": kind,
            "from_actor_id": from_actor_id,
            "post_id": post_id,
            "created_at": now,
            "filtered": filtered,
        }
        for recipient_id, kind, filtered in kept
    ]
    statement = insert(Notification).values(rows)
    written = await session.exec(
        statement.returning(col(Notification.id), col(Notification.recipient_id))
    )
    # RETURNING's order is not promised (SQLite says so): pair ids by recipient.
    by_recipient = {recipient_id: notification_id for notification_id, recipient_id in written}
    # Written past the ORM, so the flush hook below does not see them: told here. A
    # filtered notification is not news: it waits in the filtered inbox, unstreamed.
    announce(
        session,
        *(Event(EventKind.notification, by_recipient[r], (r,)) for r, _, f in kept if not f),
    )
    return [by_recipient[recipient_id] for recipient_id, _kind, _f in kept]


def _told_of_new_post() -> Any:
    """Local people a new post answers or mentions who may open it, each once, with
    whether it answers them (a reply notification rather than a mention)."""
    recipient = aliased(Actor)  # aliased: visible_to's own subqueries read `actors`
    recipient_id, domain = col(recipient.id), col(recipient.domain)
    new_post: BindParameter[int] = bindparam("post")
    answered = select(Post.actor_id).where(col(Post.id) == bindparam("parent"))
    mentioned = select(Mention.actor_id).where(col(Mention.post_id) == new_post)
    can_open = exists(select(Post.id).where(col(Post.id) == new_post, visible_to(recipient_id)))
    return (
        select(recipient_id, recipient_id.in_(answered))
        .where(
            or_(recipient_id.in_(answered), recipient_id.in_(mentioned)),
            domain.is_(None),
            can_open,
        )
        .order_by(recipient_id)
    )


#: Built once: it runs for every post published here and every post that arrives.
TOLD_OF_NEW_POST = _told_of_new_post()


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    from_actor: Actor
    post: Post | None


def _announce_new(session: Session, _context: Any) -> None:
    """Every notification written is news for its owner's open streams. After the
    flush, so each carries its id; whichever service wrote it, however."""
    made = [
        n
        for n in session.new
        if isinstance(n, Notification) and n.id is not None and not n.filtered
    ]
    if made:
        announce(
            session,
            *(Event(EventKind.notification, n.id, (n.recipient_id,)) for n in made if n.id),
        )


event.listen(Session, "after_flush", _announce_new)


async def add(
    session: AsyncSession,
    *,
    recipient_id: int,
    kind: NotificationKind,
    from_actor_id: int,
    post_id: int | None,
    now: datetime,
) -> None:
    """Write a notification in the caller's transaction, as the recipient's policy has
    it; nobody is told of their own acts."""
    if recipient_id == from_actor_id:
        return
    await add_many(
        session, [(recipient_id, kind)], from_actor_id=from_actor_id, post_id=post_id, now=now
    )


def _wanted(recipient_id: int | BindParameter[int], sender: type[Actor]) -> ColumnElement[bool]:
    """People on limited servers, and people moderators limited, reach a member's
    notifications only if followed, or if the member accepts them (that person, or limited
    accounts in their policy). Moderation notices always do."""
    limited = select(Domain.domain).where(Domain.policy == DomainPolicy.limit)
    followed = exists(
        select(Follow.id).where(
            Follow.follower_id == recipient_id,
            Follow.followed_id == sender.id,
            Follow.state == FollowState.accepted,
        )
    )
    not_limited = and_(
        col(sender.limited_at).is_(None),
        or_(col(sender.domain).is_(None), col(sender.domain).not_in(limited)),
    )
    return or_(
        not_limited,
        followed,
        notification_policy.accepts_limited(recipient_id, sender),
        # A member's own moderation notices come from their own account.
        col(sender.id) == recipient_id,
        # A report reaches moderators whoever sent it: the queue is their job.
        col(Notification.kind) == NotificationKind.new_report,
    )


async def for_member(
    session: AsyncSession,
    actor_id: int,
    window: Window | None = None,
    *,
    kinds: Collection[NotificationKind] | None = None,
    from_actor_id: int | None = None,
    filtered: bool | None = False,
    now: datetime | None = None,
) -> list[NotificationView]:
    """A member's notifications, newest first; `kinds` keeps only those kinds;
    `filtered`: False for the main list, True for the filtered inbox, None for both.
    Notifications from people the member mutes with their notifications (at `now`) and
    from threads they muted stay out, from the moment of the mute."""
    window = window or Window(limit=30)
    sender = aliased(Actor)
    query = (
        select(Notification, sender, Post)
        .join(sender, col(sender.id) == Notification.from_actor_id)
        .outerjoin(Post, col(Post.id) == Notification.post_id)
        .where(
            Notification.recipient_id == actor_id,
            _wanted(actor_id, sender),
            *notification_policy.unmuted(actor_id, now or utcnow()),
        )
    )
    if filtered is not None:
        query = query.where(col(Notification.filtered).is_(filtered))
    if kinds is not None:
        query = query.where(col(Notification.kind).in_(list(kinds)))
    if from_actor_id is not None:
        query = query.where(col(Notification.from_actor_id) == from_actor_id)
    rows = await session.exec(window.order(query, col(Notification.id)))
    return window.arrange([NotificationView(n, a, p) for n, a, p in rows.all()])


async def one_for_member(
    session: AsyncSession, actor_id: int, notification_id: int
) -> NotificationView:
    """One of a member's notifications; NotFound for anyone else's."""
    sender = aliased(Actor)
    row = (
        await session.exec(
            select(Notification, sender, Post)
            .join(sender, col(sender.id) == Notification.from_actor_id)
            .outerjoin(Post, col(Post.id) == Notification.post_id)
            .where(Notification.id == notification_id, Notification.recipient_id == actor_id)
        )
    ).first()
    if row is None:
        raise NotFound("This notification does not exist.")
    return NotificationView(*row)


async def dismiss(session: AsyncSession, actor_id: int, notification_id: int) -> None:
    """Remove one of a member's notifications."""
    await one_for_member(session, actor_id, notification_id)
    await session.exec(delete(Notification).where(col(Notification.id) == notification_id))
    await session.commit()


async def clear(session: AsyncSession, actor_id: int) -> None:
    """Remove all of a member's notifications."""
    await session.exec(delete(Notification).where(col(Notification.recipient_id) == actor_id))
    await session.commit()


def _unread_statement() -> Any:
    recipient: BindParameter[int] = bindparam("recipient")
    return (
        select(func.count())
        .select_from(Notification)
        .join(Actor, col(Actor.id) == Notification.from_actor_id)
        .where(
            Notification.recipient_id == recipient,
            col(Notification.read_at).is_(None),
            col(Notification.filtered).is_(False),
            _wanted(recipient, Actor),
        )
    )


#: Built once: every page a member opens shows the count.
UNREAD = _unread_statement()


async def unread_count(session: AsyncSession, actor_id: int) -> int:
    result = await session.exec(UNREAD, params={"recipient": actor_id})
    return int(result.one())


async def mark_all_read(
    session: AsyncSession,
    actor_id: int,
    now: datetime,
    *,
    kinds: Collection[NotificationKind] | None = None,
) -> None:
    """Mark a member's notifications read (only those of `kinds`, when given)."""
    query = update(Notification).where(
        col(Notification.recipient_id) == actor_id, col(Notification.read_at).is_(None)
    )
    if kinds is not None:
        query = query.where(col(Notification.kind).in_(list(kinds)))
    await session.exec(query.values(read_at=now))
    await session.commit()
