"""Asking elsewhere: a member's reply or like of another server's post whose policy
wants the author's approval (or rests on who follows whom) goes out as a polite request
to the author's server alone, and takes effect only once that server accepts.

A reply waits as the member's pending post after its pause ("waiting for Zoe's
approval"); it is published with its authorization when the Accept comes, and
withdrawn for good on a Reject. A like waits as the request alone. The door that sends
the requests and checks the answers is federation/approvals.py; what an answer changes
is server/services/approvals.py (`accepted_elsewhere`, `rejected_elsewhere`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, OutboxKind, Post
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    RequestState,
)
from server.services import outbox
from server.services.errors import Forbidden


def wanted(post: Post, needs_proof: bool, manual: bool) -> bool:
    """Whether an interaction with `post` must be asked for first."""
    return not post.is_local and (manual or needs_proof)


async def ask(
    session: AsyncSession,
    *,
    kind: Interaction,
    post: Post,
    actor: Actor,
    now: datetime,
    interacting_post_id: int | None = None,
    send: bool = True,
) -> InteractionRequest:
    """Keep a member's request (in the caller's transaction); `send`: it goes out now
    (a reply's goes out at its pause's end, `send_at_pause_end`)."""
    assert actor.id is not None
    if kind not in (Interaction.reply, Interaction.like):
        # Porch would have to send the Announce again carrying its authorization; until
        # it does, a boost that needs asking is not made.
        raise Forbidden("This post's author approves boosts one by one; Porch cannot ask yet.")
    row = InteractionRequest(
        kind=kind,
        direction=Direction.outgoing,
        state=RequestState.pending,
        target_post_id=post.id,
        author_id=post.actor_id,
        actor_id=actor.id,
        interacting_post_id=interacting_post_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    if send:
        _send(session, row, now)
    return row


def _send(session: AsyncSession, row: InteractionRequest, now: datetime) -> None:
    assert row.id is not None
    outbox.record(
        session,
        OutboxKind.interaction_request,
        row.actor_id,
        now=now,
        post_id=row.target_post_id,
        target_actor_id=row.author_id,
        payload=outbox.Asked(request_id=row.id),
    )


async def send_at_pause_end(session: AsyncSession, row: InteractionRequest, now: datetime) -> None:
    """A member's reply that must be asked for ended its pause: the request goes out."""
    _send(session, row, now)


async def outgoing(session: AsyncSession, token: str) -> InteractionRequest | None:
    """The member's request whose activity token is `token`."""
    rows = await session.exec(
        select(InteractionRequest).where(
            col(InteractionRequest.activity_id) == token,
            col(InteractionRequest.direction) == Direction.outgoing,
        )
    )
    return rows.first()
