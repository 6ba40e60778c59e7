"""Answers to a member's polite requests: the Accept or Reject another server sends.

Nothing in an answer is taken on trust. It must come from the author of the post the
request was about, answer a request Porch sent that is still waiting, and an Accept must
name in `result` an authorization on the author's own server that, fetched from there,
says what GoToSocial's status_permitted.go (isValidAuthorization) checks: its type
fits the interaction, `attributedTo` is the author, `interactingObject` is the member's
reply or like and `interactionTarget` (when given) the post. Anything else is refused
with 400 and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import authorizations, incoming
from federation.fetch import FetchError
from federation.incoming import Activity, Malformed
from federation.origins import same_origin
from federation.runtime import Federation
from server.models import Actor, Post
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    RequestState,
)
from server.services import approvals, asking

log = logging.getLogger(__name__)

Handler = Callable[[Federation, AsyncSession, Actor, Activity], Awaitable[None]]


async def _answered(
    fed: Federation, session: AsyncSession, activity: Activity
) -> InteractionRequest | None:
    """The member's request `activity` answers: named by its id, or (the impolite
    form) by the reply it asked for. None when it answers something else (a follow)."""
    ref = activity.object_ref
    if ref is None:
        return None
    token = fed.urls.activity_token_of(ref, "request")
    if token is not None:
        row = await asking.outgoing(session, token)
        if row is None:
            raise Malformed("This answers a request Porch never sent.")
        return row
    post_id = fed.urls.post_id_of(ref)
    if post_id is None:
        return None
    found = await session.exec(
        select(InteractionRequest)
        .where(
            col(InteractionRequest.interacting_post_id) == post_id,
            col(InteractionRequest.direction) == Direction.outgoing,
        )
        .order_by(col(InteractionRequest.id).desc())
    )
    return found.first()


async def _check_authorization(
    fed: Federation,
    session: AsyncSession,
    row: InteractionRequest,
    author: Actor,
    result: str,
) -> None:
    """Fetch the authorization the Accept names and hold it to the request."""
    member = await session.get(Actor, row.actor_id)
    post = await session.get(Post, row.target_post_id)
    assert member is not None and post is not None and author.uri is not None
    expected = await authorizations.interaction_id(session, fed.urls, row, member)
    try:
        doc = await fed.fetch(result)
    except FetchError as exc:
        raise Malformed(f"Could not fetch the authorization {result}: {exc}") from exc
    kind = Interaction(row.kind)
    problems = []
    if incoming.kind_of(doc) != authorizations.AUTHORIZATION_TYPES[kind]:
        problems.append(f"it is no {authorizations.AUTHORIZATION_TYPES[kind]}")
    if incoming.ref(doc.get("id")) != result:
        problems.append("its id is not the one the Accept names")
    if incoming.ref(doc.get("attributedTo")) != author.uri:
        problems.append("it is not the post's author's")
    if incoming.ref(doc.get("interactingObject")) != expected:
        problems.append("it approves another interaction")
    target = incoming.ref(doc.get("interactionTarget"))
    if target is not None and target != (post.uri or ""):
        problems.append("it is about another post")
    if problems:
        raise Malformed(f"The authorization {result} does not hold: {'; '.join(problems)}.")


def wrapping(handlers: dict[str, Handler]) -> dict[str, Handler]:
    """Accept and Reject: answers to a member's requests here, the rest (follows) as
    `handlers` apply them."""
    plain_accept, plain_reject = handlers["Accept"], handlers["Reject"]

    async def on_answer(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        accepting = activity.type == "Accept"
        row = await _answered(fed, session, activity)
        if row is None:
            plain = plain_accept if accepting else plain_reject
            await plain(fed, session, signer, activity)
            return
        if row.author_id != signer.id:
            raise Malformed("Only the author of the post asked about may answer this request.")
        if row.state != RequestState.pending:
            raise Malformed(f"This request was answered already: it is {row.state}.")
        now = fed.clock.now()
        if not accepting:
            await approvals.rejected_elsewhere(session, row, now)
            return
        result = incoming.ref(activity.raw.get("result"))
        if result is None:
            raise Malformed("An Accept of a request names its authorization in result.")
        assert signer.uri is not None
        if not same_origin(result, signer.uri):
            raise Malformed("The authorization must be on the post's author's own server.")
        await _check_authorization(fed, session, row, signer, result)
        await approvals.accepted_elsewhere(session, row, result, now)

    return {"Accept": on_answer, "Reject": on_answer}
