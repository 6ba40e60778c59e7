"""Approvals: the author of a post decides the interactions waiting for them.

Approving releases what was held (a reply is published the way every post is, a like
or boost is made) and, for someone elsewhere, sends the Accept naming a new
authorization; rejecting drops it for good and sends the Reject. The gate that holds
them is server/services/approval_gate.py.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Like,
    Mention,
    NotificationKind,
    OutboxKind,
    Post,
    PostState,
    Quote,
    QuoteState,
)
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    RequestState,
)
from server.services import (
    approval_gate,
    counters,
    feeds,
    notifications,
    publishing,
    reactions,
    signal_upkeep,
    states,
)
from server.services.errors import Conflict, NotFound
from server.services.rows import insert_once
from server.urls import Urls

log = logging.getLogger(__name__)

PAGE = 40

#: The held reply or quote (the target post is joined too).
_Interacting = aliased(Post, name="interacting")


@dataclass(frozen=True)
class Waiting:
    """One request as its decider sees it: who, what, on which post."""

    request: InteractionRequest
    actor: Actor
    target: Post
    #: The waiting reply or quote, when the interaction is a post.
    interacting: Post | None


def _decidable(author_id: int, now: datetime) -> list[ColumnElement[bool]]:
    # A member's reply in its pause is theirs alone: it waits for a decision only once
    # its pause is over.
    return [
        col(InteractionRequest.author_id) == author_id,
        col(InteractionRequest.direction) == Direction.incoming,
        col(InteractionRequest.state) == RequestState.pending,
        or_(
            col(InteractionRequest.interacting_post_id).is_(None),
            col(_Interacting.publish_at) <= now,
        ),
    ]


async def waiting(
    session: AsyncSession,
    author_id: int,
    now: datetime,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    limit: int = PAGE,
    kinds: Collection[Interaction] | None = None,
    target_post_id: int | None = None,
) -> list[Waiting]:
    """What waits for `author_id`'s decision, newest first (of `kinds`, on one post)."""
    query = (
        select(InteractionRequest, Actor, Post, _Interacting)
        .join(Actor, col(Actor.id) == InteractionRequest.actor_id)
        .join(Post, col(Post.id) == InteractionRequest.target_post_id)
        .outerjoin(_Interacting, col(_Interacting.id) == InteractionRequest.interacting_post_id)
        .where(*_decidable(author_id, now))
        .order_by(col(InteractionRequest.id).desc())
        .limit(limit)
    )
    if max_id is not None:
        query = query.where(col(InteractionRequest.id) < max_id)
    if since_id is not None:
        query = query.where(col(InteractionRequest.id) > since_id)
    if kinds is not None:
        query = query.where(col(InteractionRequest.kind).in_(list(kinds)))
    if target_post_id is not None:
        query = query.where(col(InteractionRequest.target_post_id) == target_post_id)
    rows = (await session.exec(query)).all()
    return [Waiting(request, actor, target, held) for request, actor, target, held in rows]


async def count_waiting(session: AsyncSession, author_id: int, now: datetime) -> int:
    """How many interactions wait for `author_id` (the count in the nav)."""
    query = (
        select(func.count())
        .select_from(InteractionRequest)
        .outerjoin(_Interacting, col(_Interacting.id) == InteractionRequest.interacting_post_id)
        .where(*_decidable(author_id, now))
    )
    return int((await session.exec(query)).one())


async def one(session: AsyncSession, request_id: int, by: Actor, now: datetime) -> Waiting:
    """A request `by` decides (or decided); NotFound for anyone else, and while the
    reply it holds is in its pause (its author's alone until then)."""
    request = await session.get(InteractionRequest, request_id)
    if request is None or request.author_id != by.id or request.direction != Direction.incoming:
        raise NotFound("There is no such request waiting for you.")
    actor = await session.get(Actor, request.actor_id)
    target = await session.get(Post, request.target_post_id)
    held = None
    if request.interacting_post_id is not None:
        held = await session.get(Post, request.interacting_post_id)
    in_pause = held is not None and held.is_local and held.publish_at > now
    if actor is None or target is None or in_pause:
        raise NotFound("There is no such request waiting for you.")
    return Waiting(request, actor, target, held)


async def _pending(session: AsyncSession, request_id: int, by: Actor, now: datetime) -> Waiting:
    found = await one(session, request_id, by, now)
    if found.request.state != RequestState.pending:
        raise Conflict(f"You already decided this one: it was {found.request.state}.")
    return found


async def _answer(
    session: AsyncSession,
    kind: OutboxKind,
    request: InteractionRequest,
    now: datetime,
    authorization_id: str | None = None,
) -> None:
    target = await session.get(Post, request.target_post_id)
    assert target is not None
    approval_gate.answer(
        session,
        kind,
        post=target,
        actor_id=request.actor_id,
        interaction=request.kind,
        object_uri=request.object_uri,
        request_uri=request.request_uri,
        now=now,
        authorization_id=authorization_id,
    )


async def approve(
    session: AsyncSession, request_id: int, by: Actor, now: datetime, urls: Urls
) -> InteractionRequest:
    """`by` approves a request waiting for them: what was held goes ahead, and whoever
    asked hears of it (an Accept with its authorization, for someone elsewhere)."""
    found = await _pending(session, request_id, by, now)
    request = found.request
    assert request.id is not None
    if not await states.move(
        session,
        InteractionRequest,
        request.id,
        RequestState.pending,
        RequestState.accepted,
        values={"decided_at": now},
    ):
        raise Conflict("Someone decided this one a moment ago.")
    log.info("request %s (%s) approved", request.id, request.kind)
    if found.actor.is_local:
        await _tell(session, request, now)
    else:
        await _answer(session, OutboxKind.accept_interaction, request, now, request.activity_id)
    await _release(session, found, now, urls)
    await session.commit()
    await session.refresh(request)
    return request


async def _release(session: AsyncSession, found: Waiting, now: datetime, urls: Urls) -> None:
    request, held = found.request, found.interacting
    if request.kind == Interaction.reply and held is not None:
        if held.is_local:
            await publishing.publish(session, held.id, now)  # commits
        else:
            await release_remote(session, held, now)
    elif request.kind == Interaction.like:
        await reactions.like(
            session, found.actor, found.target.id, now, uri=request.object_uri, approved=True
        )
    elif request.kind == Interaction.boost:
        await reactions.boost(
            session, found.actor, found.target.id, now, uri=request.object_uri, approved=True
        )
    elif request.kind == Interaction.quote and request.interacting_post_id is not None:
        author = found.target.actor_id
        owner = await session.get(Actor, author)
        assert owner is not None
        authorization = urls.authorization(owner.username, request.activity_id)
        await _quote_to(
            session, request.interacting_post_id, QuoteState.accepted, now, authorization
        )


async def _quote_to(
    session: AsyncSession,
    post_id: int,
    after: QuoteState,
    now: datetime,
    authorization: str | None = None,
) -> None:
    """The quote `post_id` makes follows its request's decision."""
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == post_id))).first()
    if quote is None or quote.id is None:
        return
    values = {"decided_at": now, "authorization_uri": authorization or quote.authorization_uri}
    await states.move(session, Quote, quote.id, QuoteState.pending, after, values=values)


async def release_remote(session: AsyncSession, post: Post, now: datetime) -> None:
    """A reply from elsewhere held for approval is approved: it reaches people here as
    if it had just arrived (feeds, counts, notifications, its thread)."""
    if not await states.move(session, Post, post.id, PostState.pending, PostState.published):
        return
    await session.refresh(post)
    mentioned = await session.exec(select(Mention.actor_id).where(col(Mention.post_id) == post.id))
    await counters.published(session, post)
    await feeds.place(session, post, new=True)
    await notifications.for_new_post(session, post, now, list(mentioned.all()))
    await signal_upkeep.record(session, post)


async def reject(session: AsyncSession, request_id: int, by: Actor, now: datetime) -> None:
    """`by` declines a request waiting for them: a held reply is deleted (nobody but
    its author ever saw it), a held like or boost dropped, and whoever asked is told."""
    found = await _pending(session, request_id, by, now)
    request = found.request
    assert request.id is not None
    held = found.interacting
    if not await states.move(
        session,
        InteractionRequest,
        request.id,
        RequestState.pending,
        RequestState.rejected,
        # The row outlives the post it held, which goes now.
        values={"decided_at": now, "interacting_post_id": None},
    ):
        raise Conflict("Someone decided this one a moment ago.")
    log.info("request %s (%s) declined", request.id, request.kind)
    if request.kind == Interaction.quote and held is not None:
        await _quote_to(session, held.id, QuoteState.rejected, now)
    elif held is not None:
        await states.leave(session, Post, held.id, PostState.pending)
    if found.actor.is_local:
        await _tell(session, request, now)
    else:
        await _answer(session, OutboxKind.reject_interaction, request, now)
    await session.commit()


async def _tell(session: AsyncSession, request: InteractionRequest, now: datetime) -> None:
    await notifications.add(
        session,
        recipient_id=request.actor_id,
        kind=NotificationKind.approval_outcome,
        from_actor_id=request.author_id,
        post_id=request.target_post_id,
        now=now,
    )


async def accepted_elsewhere(
    session: AsyncSession, row: InteractionRequest, authorization_uri: str, now: datetime
) -> bool:
    """The other server approved a member's request: the reply is published (carrying
    the authorization), the like counted; the member is told. False when it was decided
    before: nothing changes."""
    assert row.id is not None
    if not await states.move(
        session,
        InteractionRequest,
        row.id,
        RequestState.pending,
        RequestState.accepted,
        values={"decided_at": now, "authorization_uri": authorization_uri},
    ):
        return False
    await _tell(session, row, now)
    if row.kind == Interaction.like:
        # The author's server keeps the like it approved: nothing more is sent.
        done = await session.exec(
            insert_once(
                session, Like, actor_id=row.actor_id, post_id=row.target_post_id, created_at=now
            )
        )
        if done.rowcount == 1:
            await counters.add_to_post(session, row.target_post_id, favourites_count=1)
    if row.kind == Interaction.reply and row.interacting_post_id is not None:
        await publishing.publish(session, row.interacting_post_id, now)  # commits
    await session.commit()
    log.info("request %s (%s) accepted by its author's server", row.id, row.kind)
    return True


async def rejected_elsewhere(session: AsyncSession, row: InteractionRequest, now: datetime) -> bool:
    """The other server said no: a waiting reply is withdrawn for good (nobody else saw
    it), a like never counts; the member is told. False when decided before."""
    assert row.id is not None
    held = row.interacting_post_id
    if not await states.move(
        session,
        InteractionRequest,
        row.id,
        RequestState.pending,
        RequestState.rejected,
        values={"decided_at": now, "interacting_post_id": None},
    ):
        return False
    if held is not None:
        await states.leave(session, Post, held, PostState.pending)
    await _tell(session, row, now)
    await session.commit()
    log.info("request %s (%s) refused by its author's server", row.id, row.kind)
    return True
