"""What an action does to an account, and undoing it when an appeal is granted.

Limit is the per-account form of a domain limit (Actor.limited_at, read wherever a
limited server's people are kept out). Suspension of a member is the existing member
suspension; of someone elsewhere, their posts disappear and nothing more from them is
accepted (federation refuses a suspended signer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    ActionKind,
    Actor,
    Follow,
    Member,
    MemberState,
    ModerationAction,
    Post,
    PostState,
)
from server.services import accounts, counters, feeds, posts, remote_posts
from server.services.errors import NotFound
from server.services.events import Event, EventKind, announce


def _stale(session: AsyncSession, actor: Actor) -> None:
    assert actor.id is not None
    topic = "actor" if actor.is_local else "remote_actor"
    announce(session, Event(EventKind.stale, actor.id, topic=topic))
    announce(session, Event(EventKind.access_changed, actor.id))


async def apply(
    session: AsyncSession, target: Actor, action: ModerationAction, now: datetime
) -> None:
    """Carry out `action` on `target` and commit (with whatever the caller added)."""
    kind = ActionKind(action.kind)
    if kind is ActionKind.limit:
        target.limited_at = target.limited_at or now
        session.add(target)
        _stale(session, target)
    elif kind is ActionKind.suspend:
        await _suspend(session, target, now)
        return
    elif kind is ActionKind.delete_posts:
        await session.commit()  # the action and its record first: each deletion commits
        await _delete_posts(session, target, action.post_ids, now)
        return
    await session.commit()


async def _delete_posts(
    session: AsyncSession, target: Actor, post_ids: list[int], now: datetime
) -> None:
    for post_id in post_ids:
        post = await session.get(Post, post_id)
        if post is None or post.state == PostState.deleted:
            continue
        if target.is_local:
            if post.state == PostState.pending:
                continue  # nobody else has seen it; its author may still withdraw it
            try:
                await posts.delete_published(session, target, post_id, now)
            except NotFound:
                continue  # deleted meanwhile
        else:
            await remote_posts.remove(session, post, now)


async def _member_of(session: AsyncSession, target: Actor) -> Member | None:
    return (await session.exec(select(Member).where(Member.actor_id == target.id))).first()


async def _suspend(session: AsyncSession, target: Actor, now: datetime) -> None:
    assert target.id is not None
    if target.is_local:
        # The member suspension ends their sessions and apps' access, and commits.
        member = await _member_of(session, target)
        if member is not None and member.state != MemberState.suspended:
            await accounts.set_state(session, target.username, MemberState.suspended, now)
            return
        await session.commit()
        return
    # As Mastodon does for a suspended remote account: follows both ways end, their
    # posts leave every page, and what they send is refused from now on.
    ended = await session.exec(
        delete(Follow)
        .where(or_(col(Follow.follower_id) == target.id, col(Follow.followed_id) == target.id))
        .returning(col(Follow.follower_id), col(Follow.followed_id), col(Follow.state))
    )
    rows = ended.all()
    await counters.follows_ended(session, rows)
    target.suspended_at = target.suspended_at or now
    session.add(target)
    await session.flush()
    await feeds.drop_author(session, target.id)
    for member_id in sorted({follower for follower, _, _ in rows if follower != target.id}):
        await feeds.refeed(session, member_id)
    _stale(session, target)
    await session.commit()


async def lift(session: AsyncSession, action: ModerationAction, now: datetime) -> None:
    """Undo what `action` did where that can be undone (a limit, a suspension), mark it
    lifted, and commit. Deleted posts stay deleted; a warning stays on record."""
    target = await session.get(Actor, action.target_id)
    action.lifted_at = now
    session.add(action)
    kind = ActionKind(action.kind)
    if target is None:
        await session.commit()
        return
    assert target.id is not None
    if kind is ActionKind.limit:
        target.limited_at = None
        session.add(target)
        _stale(session, target)
    elif kind is ActionKind.suspend:
        member = await _member_of(session, target)
        if member is not None:
            if member.state == MemberState.suspended:
                await accounts.set_state(session, target.username, MemberState.active, now)
                return
        elif target.suspended_at is not None:
            target.suspended_at = None
            session.add(target)
            await session.flush()
            await feeds.restore_author(session, target.id)
            _stale(session, target)
    await session.commit()
