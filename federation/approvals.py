"""Replies, likes and boosts from elsewhere meet the policy of the member's post they
answer: they go ahead, wait for the member's approval, or are refused with a Reject.

Two shapes arrive. The "impolite" one is the plain Create / Like / Announce every
server sends. The "polite" one is GoToSocial's LikeRequest / ReplyRequest /
AnnounceRequest (v0.20 receives them, v0.21 sends them) with the interaction embedded in
`instrument`; it is checked as GoToSocial's internal/federation/federatingdb/
interactionrequest.go checks it. An approval that other servers cannot check for
themselves (one resting on who follows whom, or any polite request) is answered at once
with an Accept whose `result` names an authorization document (federation/
authorizations.py), as GoToSocial's docs ask ("preapproval").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import answers, incoming
from federation.fetch import FetchError
from federation.incoming import Activity, Malformed, NoteDoc
from federation.note_intake import local_post
from federation.origins import same_origin
from federation.runtime import Federation
from server.models import Actor, OutboxKind, Post, PostState
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import approval_gate, blocks, states
from server.services.interaction_policies import Decision

log = logging.getLogger(__name__)

Handler = Callable[[Federation, AsyncSession, Actor, Activity], Awaitable[None]]

#: GoToSocial's polite requests and what each asks to do.
REQUESTS = {
    "LikeRequest": Interaction.like,
    "ReplyRequest": Interaction.reply,
    "AnnounceRequest": Interaction.boost,
}
#: Properties that say an interaction was approved already: a request carrying one is
#: not a request (GoToSocial answers 400).
APPROVED_BY = ("approvedBy", "likeAuthorization", "replyAuthorization", "announceAuthorization")


class StoreNote(Protocol):
    """federation/dispatch.py's store_note: keeps a Note, held (pending) if asked."""

    def __call__(
        self,
        fed: Federation,
        session: AsyncSession,
        author: Actor,
        note: NoteDoc,
        *,
        require_relevance: bool,
        held: bool = False,
    ) -> Awaitable[int | None]: ...


def answer(
    session: AsyncSession,
    fed: Federation,
    kind: OutboxKind,
    post: Post,
    signer: Actor,
    interaction: Interaction,
    object_uri: str | None,
    request_uri: str | None,
    authorization_id: str | None = None,
) -> None:
    """Record the Accept or Reject of an interaction from `signer` (the caller commits)."""
    approval_gate.answer(
        session,
        kind,
        post=post,
        actor_id=signer.id,
        interaction=interaction,
        object_uri=object_uri,
        request_uri=request_uri,
        authorization_id=authorization_id,
        now=fed.clock.now(),
    )


async def admit(
    fed: Federation,
    session: AsyncSession,
    signer: Actor,
    post: Post,
    interaction: Interaction,
    object_uri: str,
    request_uri: str | None = None,
) -> Decision | None:
    """The post's policy on `signer`'s interaction; refusals are answered with a Reject
    and approvals others cannot check with an Accept. None: decided before (a
    redelivery, or the reply now carrying the approval given): nothing more to do,
    unless it was approved, which reads as automatic."""
    now = fed.clock.now()
    verdict = await approval_gate.judge(session, post, signer, interaction, now)
    decision = verdict.decision
    if decision == Decision.automatic and not verdict.needs_proof and request_uri is None:
        return decision  # anyone may: nothing to answer, nothing to look up
    assert signer.id is not None
    if await blocks.between(session, signer.id, post.actor_id):
        return None  # nothing to ask the author about: they may not interact at all
    earlier = await approval_gate.by_object(session, object_uri)
    if earlier is not None and earlier.target_post_id == post.id:
        return Decision.automatic if earlier.state == RequestState.accepted else None
    if decision == Decision.refused:
        log.info(
            "refused %s %s by %s of post %s: its policy does not allow it",
            interaction.value,
            object_uri,
            signer.uri,
            post.id,
        )
        answer(
            session,
            fed,
            OutboxKind.reject_interaction,
            post,
            signer,
            interaction,
            object_uri,
            request_uri,
        )
        return decision
    if decision == Decision.automatic:
        row = await approval_gate.preapprove(
            session,
            kind=interaction,
            post=post,
            actor=signer,
            now=now,
            object_uri=object_uri,
            request_uri=request_uri,
        )
        answer(
            session,
            fed,
            OutboxKind.accept_interaction,
            post,
            signer,
            interaction,
            object_uri,
            request_uri,
            row.activity_id,
        )
    return decision


async def _admit_light(
    fed: Federation,
    session: AsyncSession,
    signer: Actor,
    post: Post,
    interaction: Interaction,
    object_uri: str,
    request_uri: str | None = None,
) -> bool:
    """A like or boost: True when it goes ahead now; held for the author otherwise."""
    decision = await admit(fed, session, signer, post, interaction, object_uri, request_uri)
    if decision == Decision.manual:
        await approval_gate.hold(
            session,
            kind=interaction,
            post=post,
            actor=signer,
            now=fed.clock.now(),
            object_uri=object_uri,
            request_uri=request_uri,
        )
    return decision == Decision.automatic


async def _admit_reply(
    fed: Federation,
    session: AsyncSession,
    signer: Actor,
    parent: Post,
    note: NoteDoc,
    store: StoreNote,
    request_uri: str | None = None,
) -> None:
    decision = await admit(fed, session, signer, parent, Interaction.reply, note.id, request_uri)
    if decision == Decision.automatic:
        await store(fed, session, signer, note, require_relevance=True)
    elif decision == Decision.manual:
        held = await store(fed, session, signer, note, require_relevance=True, held=True)
        kept = await session.get(Post, held) if held is not None else None
        if kept is None or kept.state != PostState.pending:
            return  # stored before its post had rules: it stays as it was
        await approval_gate.hold(
            session,
            kind=Interaction.reply,
            post=parent,
            actor=signer,
            now=fed.clock.now(),
            interacting_post_id=held,
            object_uri=note.id,
            request_uri=request_uri,
        )


async def _note(fed: Federation, signer: Actor, data: dict[str, Any]) -> NoteDoc:
    note = incoming.note_doc(data)
    assert signer.uri is not None
    if note.attributed_to != signer.uri or not same_origin(note.id, signer.uri):
        raise Malformed("The object's id and attributedTo must be the sender's own.")
    return note


async def store_screened(
    fed: Federation, session: AsyncSession, author: Actor, note: NoteDoc, store: StoreNote
) -> None:
    """Keep a note passed on by someone else, a reply to a member's post put through
    that post's policy as if its author had sent it."""
    parent = await local_post(fed, session, note.in_reply_to)
    if parent is None:
        await store(fed, session, author, note, require_relevance=True)
    else:
        await _admit_reply(fed, session, author, parent, note, store)


async def _withdrawn(session: AsyncSession, signer: Actor, activity: Activity) -> None:
    """An Undo of a like or boost still waiting for approval takes the request away."""
    if activity.object_ref is None:
        return
    waiting = await approval_gate.by_object(session, activity.object_ref)
    if (
        waiting is not None
        and waiting.id is not None
        and waiting.actor_id == signer.id
        and waiting.state == RequestState.pending
    ):
        await states.leave(session, InteractionRequest, waiting.id, RequestState.pending)


def screening(handlers: dict[str, Handler], store: StoreNote) -> dict[str, Handler]:
    """The handlers that put interactions with members' posts through their policies:
    Create, Like and Announce (wrapping `handlers`' own), the polite requests, and the
    answers to members' own requests (Accept, Reject: federation/answers.py)."""
    plain_like, plain_announce = handlers["Like"], handlers["Announce"]
    plain_undo, plain_create = handlers["Undo"], handlers["Create"]

    async def on_undo(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        await _withdrawn(session, signer, activity)
        await plain_undo(fed, session, signer, activity)

    async def on_create(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        data = activity.object
        if data is None and activity.object_ref is not None:
            try:
                data = await fed.fetch(activity.object_ref)
            except FetchError as exc:
                raise Malformed(f"Could not fetch the object {activity.object_ref}: {exc}") from exc
        if data is None:
            raise Malformed("Create has no object.")
        note = await _note(fed, signer, data)
        parent = await local_post(fed, session, note.in_reply_to)
        if parent is None:  # no member's post to answer: stored as any other (quotes too)
            await plain_create(fed, session, signer, activity)
            return
        await _admit_reply(fed, session, signer, parent, note, store)

    async def on_like(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        post = await local_post(fed, session, activity.object_ref)
        if post is None or await _admit_light(
            fed, session, signer, post, Interaction.like, activity.id
        ):
            await plain_like(fed, session, signer, activity)

    async def on_announce(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        post = await local_post(fed, session, activity.object_ref)
        if post is None or await _admit_light(
            fed, session, signer, post, Interaction.boost, activity.id
        ):
            await plain_announce(fed, session, signer, activity)

    async def on_request(
        fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
    ) -> None:
        interaction = REQUESTS[activity.type]
        post = await local_post(fed, session, activity.object_ref)
        if post is None:
            raise Malformed(f"A {activity.type}'s object must be a post of a member here.")
        instrument = activity.raw.get("instrument")
        if not isinstance(instrument, dict):
            raise Malformed(f"A {activity.type} embeds the interaction it asks for in instrument.")
        if any(instrument.get(name) for name in APPROVED_BY):
            raise Malformed(f"The interaction in this {activity.type} says it is approved already.")
        if await approval_gate.by_request(session, activity.id) is not None:
            return  # asked before: the answer went out then
        if interaction == Interaction.reply:
            note = await _note(fed, signer, instrument)
            if fed.urls.post_id_of(note.in_reply_to or "") != post.id:
                raise Malformed("The reply in this ReplyRequest answers another post.")
            await _admit_reply(fed, session, signer, post, note, store, activity.id)
            return
        inner = _inner(signer, instrument, interaction)
        if fed.urls.post_id_of(incoming.ref(instrument.get("object")) or "") != post.id:
            raise Malformed(f"The interaction in this {activity.type} is about another post.")
        if await _admit_light(fed, session, signer, post, interaction, inner, activity.id):
            embedded = incoming.activity({**instrument, "actor": signer.uri})
            plain = plain_like if interaction == Interaction.like else plain_announce
            await plain(fed, session, signer, embedded)

    return {
        "Create": on_create,
        "Like": on_like,
        "Announce": on_announce,
        "Undo": on_undo,
        **{name: on_request for name in REQUESTS},
        **answers.wrapping(handlers),
    }


def _inner(signer: Actor, instrument: dict[str, Any], interaction: Interaction) -> str:
    """The id of the Like or Announce a polite request embeds, once it is the signer's."""
    expected = "Like" if interaction == Interaction.like else "Announce"
    inner_id = incoming.ref(instrument.get("id"))
    # GoToSocial's example names the liker in attributedTo; an Activity names its actor.
    by = incoming.ref(instrument.get("actor")) or incoming.ref(instrument.get("attributedTo"))
    if incoming.kind_of(instrument) != expected or inner_id is None:
        raise Malformed(f"The instrument must be the {expected} itself, with its id.")
    assert signer.uri is not None
    if by != signer.uri or not same_origin(inner_id, signer.uri):
        raise Malformed(f"The {expected} in the request must be the sender's own.")
    return inner_id
