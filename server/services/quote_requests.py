"""Asking for, giving and taking back consent to quote (FEP-044f, as Mastodon 4.5 does).

Every approval of a quote of a member's post is an `InteractionRequest` (kind quote,
direction incoming): its `activity_id` names the QuoteAuthorization other servers
dereference. A member's quote of a post elsewhere has an outgoing row whose
`activity_id` names the QuoteRequest Porch sends. Quote rows follow what the requests
say. Every state change goes through server/services/states.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, NotificationKind, OutboxKind, Post, PostState
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    Quote,
    QuoteState,
    RequestState,
)
from server.services import approval_gate, notifications, outbox, policy_reads, states
from server.services.errors import Invalid, NotFound
from server.services.interaction_policies import Decision
from server.services.quote_answers import count_in_ranking, move_quote
from server.services.quotes import QUOTABLE

log = logging.getLogger(__name__)


async def published(session: AsyncSession, post: Post, now: datetime) -> None:
    """A quote ends its pause: the quoted author here is told (or asked); a post
    elsewhere gets its QuoteRequest. Self-quotes need nobody's consent."""
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == post.id))).first()
    if quote is None or quote.quoted_post_id is None:
        return
    quoted = await session.get(Post, quote.quoted_post_id)
    if quoted is None or quoted.actor_id == post.actor_id:
        return
    accepted = quote.state == QuoteState.accepted
    row = InteractionRequest(
        kind=Interaction.quote,
        direction=Direction.incoming if quoted.is_local else Direction.outgoing,
        state=RequestState.accepted if accepted else RequestState.pending,
        target_post_id=quoted.id,
        author_id=quoted.actor_id,
        actor_id=post.actor_id,
        interacting_post_id=post.id,
        created_at=now,
        decided_at=now if accepted else None,
    )
    session.add(row)
    if accepted:
        await count_in_ranking(session, post.id)
    if quoted.is_local:
        kind = NotificationKind.quote if accepted else NotificationKind.pending_quote
        await notifications.add(
            session,
            recipient_id=quoted.actor_id,
            kind=kind,
            from_actor_id=post.actor_id,
            post_id=post.id,
            now=now,
        )
    elif quote.state == QuoteState.pending:
        payload = outbox.Sent(activity_id=row.activity_id)
        outbox.record(
            session,
            OutboxKind.quote_request,
            post.actor_id,
            now=now,
            post_id=post.id,
            target_actor_id=quoted.actor_id,
            payload=payload,
        )


class Refused(Invalid):
    """A QuoteRequest for a post that can never be quoted (followers-only, direct, gone)."""


def refuse_unquotable(quoted: Post) -> None:
    """Refused for a post nobody may ever quote, whatever its policy says."""
    if quoted.state != PostState.published or quoted.visibility not in QUOTABLE:
        raise Refused("Only public and unlisted posts can be quoted.")


async def requested(
    session: AsyncSession,
    quoted: Post,
    requester: Actor,
    *,
    request_uri: str,
    quoting_uri: str,
    quoting_post_id: int | None,
    now: datetime,
) -> InteractionRequest | None:
    """A remote QuoteRequest for a member's post, answered by the post's policy:
    approved (an Accept naming the new authorization), held for the author, or refused
    (a Reject). Raises Refused for a post nobody may quote. None when refused."""
    assert requester.id is not None
    refuse_unquotable(quoted)
    known = (
        await session.exec(
            select(InteractionRequest).where(col(InteractionRequest.request_uri) == request_uri)
        )
    ).first()
    if known is not None:
        return known  # asked again: the answer stands
    decision = await policy_reads.decision(
        session,
        quoted,
        requester,
        Interaction.quote,
        await policy_reads.community_now(session),
        now,
    )
    if decision is Decision.refused:
        approval_gate.answer(
            session,
            OutboxKind.reject_interaction,
            post=quoted,
            actor_id=requester.id,
            interaction=Interaction.quote,
            object_uri=quoting_uri,
            request_uri=request_uri,
            now=now,
        )
        return None
    if decision is Decision.automatic:
        row = await approval_gate.preapprove(
            session,
            kind=Interaction.quote,
            post=quoted,
            actor=requester,
            now=now,
            object_uri=quoting_uri,
            request_uri=request_uri,
            interacting_post_id=quoting_post_id,
        )
        await _approved(session, row, quoted, request_uri, quoting_uri, now)
        return row
    return await approval_gate.hold(
        session,
        kind=Interaction.quote,
        post=quoted,
        actor=requester,
        now=now,
        interacting_post_id=quoting_post_id,
        object_uri=quoting_uri,
        request_uri=request_uri,
    )


async def _approved(
    session: AsyncSession,
    row: InteractionRequest,
    quoted: Post,
    request_uri: str | None,
    quoting_uri: str | None,
    now: datetime,
) -> None:
    """What an approval brings: the quote shown, the quoter's server told, the author
    notified of being quoted."""
    if row.interacting_post_id is not None:
        await move_quote(
            session, row.interacting_post_id, QuoteState.pending, QuoteState.accepted, now
        )
    if request_uri is not None and quoting_uri is not None:
        approval_gate.answer(
            session,
            OutboxKind.accept_interaction,
            post=quoted,
            actor_id=row.actor_id,
            interaction=Interaction.quote,
            object_uri=quoting_uri,
            request_uri=request_uri,
            now=now,
            authorization_id=row.activity_id,
        )
    await notifications.add(
        session,
        recipient_id=quoted.actor_id,
        kind=NotificationKind.quote,
        from_actor_id=row.actor_id,
        post_id=row.interacting_post_id,
        now=now,
    )


async def revoke(
    session: AsyncSession, author: Actor, quoted_id: int, quoting_id: int, now: datetime
) -> None:
    """The quoted author takes back their approval of `quoting_id`'s quote of their post
    `quoted_id`: the quote shows as removed here and, through a Delete of the
    authorization, at the quoting server. NotFound when no such approval was given."""
    row = (
        await session.exec(
            select(InteractionRequest).where(
                col(InteractionRequest.kind) == Interaction.quote,
                col(InteractionRequest.direction) == Direction.incoming,
                col(InteractionRequest.target_post_id) == quoted_id,
                col(InteractionRequest.interacting_post_id) == quoting_id,
                col(InteractionRequest.author_id) == author.id,
                col(InteractionRequest.state) == RequestState.accepted,
            )
        )
    ).first()
    if row is None or row.id is None:
        raise NotFound("You have not approved a quote of this post by that post.")
    moved = await states.move(
        session,
        InteractionRequest,
        row.id,
        RequestState.accepted,
        RequestState.revoked,
        values={"decided_at": now},
    )
    if not moved:
        raise NotFound("You have not approved a quote of this post by that post.")
    await move_quote(session, quoting_id, QuoteState.accepted, QuoteState.revoked, now)
    requester = await session.get(Actor, row.actor_id)
    if requester is not None and requester.domain is not None:
        outbox.record(
            session,
            OutboxKind.revoke_quote,
            author.id,
            now=now,
            post_id=quoted_id,
            target_actor_id=requester.id,
            payload=outbox.Revocation(authorization_id=row.activity_id),
        )
    await session.commit()
