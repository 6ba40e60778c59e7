"""Approvals on the wire: the Accept and Reject a member's decision sends, and the
authorization documents an Accept's `result` names.

Shapes are GoToSocial's (internal/typeutils/internaltoas.go: InteractionReqToASAccept,
InteractionReqToASReject, InteractionReqToASAuthorization) and, for quotes, Mastodon's
(app/serializers/activitypub/quote_authorization_serializer.rb). An authorization is
served only while the approval stands: 404 for what was never approved, 410 once the
author took it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import context, outgoing
from federation.negotiation import AS2Response, wants_as2
from federation.outgoing import AS
from server.models import Actor, OutboxKind, Post
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    RequestState,
)
from server.services import outbox
from server.urls import PUBLIC, Urls

if TYPE_CHECKING:  # builders.py registers the builders below, so it cannot be imported here
    from federation.builders import Built, Outgoing

GTS = "https://gotosocial.org/ns"

#: The polite request each kind of interaction is asked with.
REQUEST_TYPES = {
    Interaction.like: "LikeRequest",
    Interaction.reply: "ReplyRequest",
    Interaction.boost: "AnnounceRequest",
    Interaction.quote: "QuoteRequest",
}
#: The authorization each kind of approval publishes.
AUTHORIZATION_TYPES = {
    Interaction.like: "LikeAuthorization",
    Interaction.reply: "ReplyAuthorization",
    Interaction.boost: "AnnounceAuthorization",
    Interaction.quote: "QuoteAuthorization",
}
#: Where an approved interaction carries its authorization.
CARRIED_IN = {
    Interaction.like: "likeAuthorization",
    Interaction.reply: "replyAuthorization",
    Interaction.boost: "announceAuthorization",
    Interaction.quote: "quoteAuthorization",
}

#: Mastodon's context for QuoteAuthorization (its adapter.rb CONTEXT_EXTENSION_MAP).
QUOTE_CONTEXT: list[Any] = [
    AS,
    {
        "gts": "https://gotosocial.org/ns#",
        "interactingObject": {"@id": "gts:interactingObject"},
        "interactionTarget": {"@id": "gts:interactionTarget"},
        "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        "quoteAuthorization": {
            "@id": "https://w3id.org/fep/044f#quoteAuthorization",
            "@type": "@id",
        },
    },
]


def context_for(interaction: Interaction) -> list[Any]:
    """GoToSocial's context (its namespace first, as it writes it), Mastodon's for quotes."""
    return QUOTE_CONTEXT if interaction == Interaction.quote else [GTS, AS]


def answering(kind: str) -> Callable[[Outgoing], Awaitable[Built | None]]:
    """The builder of a member's Accept or Reject of an interaction from elsewhere."""

    async def build(out: Outgoing) -> Built | None:
        from federation.builders import Built

        answer = outbox.read(out.item, outbox.InteractionAnswer)
        requester = await out.target()
        if requester is None or not requester.inbox_url or out.item.post_id is None:
            return None
        interaction = Interaction(answer.interaction)
        post_uri = out.urls.post(out.sender.username, out.item.post_id)
        activity: dict[str, Any] = {
            "@context": context_for(interaction),
            "type": kind,
            "id": out.urls.activity(kind.lower(), answer.activity_id),
            "actor": out.me,
            "to": [out.urls.of_actor(requester)],
        }
        if answer.request_uri is not None:
            # Polite: the request echoed bare, to the requester alone.
            activity["object"] = {
                "type": REQUEST_TYPES[interaction],
                "id": answer.request_uri,
                "actor": out.urls.of_actor(requester),
                "object": post_uri,
                "instrument": answer.object_uri,
            }
        else:
            activity["object"] = answer.object_uri
            activity["target"] = post_uri
            if interaction in (Interaction.reply, Interaction.boost):
                activity["cc"] = [PUBLIC, out.urls.followers(out.sender.username)]
        if kind == "Accept" and answer.authorization_id is not None:
            activity["result"] = out.urls.authorization(
                out.sender.username, answer.authorization_id
            )
        return Built(activity, [requester.inbox_url])

    return build


BUILDERS: dict[OutboxKind, Callable[[Outgoing], Awaitable[Built | None]]] = {
    OutboxKind.accept_interaction: answering("Accept"),
    OutboxKind.reject_interaction: answering("Reject"),
}


async def _interacting_uri(
    request: InteractionRequest, session: AsyncSession, urls: Urls
) -> str | None:
    if request.object_uri is not None:
        return request.object_uri
    if request.interacting_post_id is None:
        return None
    post = await session.get(Post, request.interacting_post_id)
    author = await session.get(Actor, post.actor_id) if post is not None else None
    return urls.of_post(post, author) if post is not None and author is not None else None


def authorization_document(
    urls: Urls, username: str, request: InteractionRequest, interacting: str
) -> dict[str, Any]:
    """The authorization an approval publishes: who approved what, on which post."""
    return {
        "@context": context_for(request.kind),
        "type": AUTHORIZATION_TYPES[request.kind],
        "id": urls.authorization(username, request.activity_id),
        "attributedTo": urls.actor(username),
        "interactingObject": interacting,
        "interactionTarget": urls.post(username, request.target_post_id),
    }


async def authorization(request: Request) -> Response:
    """GET /users/{username}/authorizations/{token}."""
    urls = context.urls(request)
    username, token = request.path_params["username"], request.path_params["token"]
    async with context.sessions(request)() as session:
        found = (
            await session.exec(
                select(InteractionRequest, Actor)
                .join(Actor, col(Actor.id) == InteractionRequest.author_id)
                .where(
                    col(InteractionRequest.activity_id) == token,
                    col(InteractionRequest.direction) == Direction.incoming,
                    col(Actor.username) == username,
                    col(Actor.domain).is_(None),
                )
            )
        ).first()
        row = found[0] if found is not None else None
        if row is None or row.state in (RequestState.pending, RequestState.rejected):
            return AS2Response({"error": "There is no such authorization."}, 404)
        if not wants_as2(request.headers.get("accept", "")):
            page = urls.post_page(username, row.target_post_id)
            return RedirectResponse(page, 302, headers={"Vary": "Accept"})
        if row.state == RequestState.revoked:
            return AS2Response({"error": "This authorization was taken back."}, 410)
        interacting = await _interacting_uri(row, session, urls)
    if interacting is None:
        return AS2Response({"error": "There is no such authorization."}, 404)
    return AS2Response(authorization_document(urls, username, row, interacting))


def request_id(urls: Urls, row: InteractionRequest) -> str:
    """The id of a member's polite request (named by its row's token)."""
    return urls.activity("request", row.activity_id)


async def interaction_id(
    session: AsyncSession, urls: Urls, row: InteractionRequest, sender: Actor
) -> str | None:
    """The id of the reply or like a member's request asks for."""
    if row.kind == Interaction.like:
        return urls.activity("like", row.activity_id)
    reply = await session.get(Post, row.interacting_post_id) if row.interacting_post_id else None
    return urls.of_post(reply, sender) if reply is not None else None


async def build_request(out: Outgoing) -> Built | None:
    """A member's LikeRequest or ReplyRequest, to the post's author alone, with the
    interaction embedded in `instrument` (GoToSocial's polite form)."""
    from federation.builders import Built
    from federation.documents import note_source

    asked = outbox.read(out.item, outbox.Asked)
    row = await out.session.get(InteractionRequest, asked.request_id)
    author = await out.target()
    post = await out.post(out.item.post_id)
    if row is None or row.state != RequestState.pending or post is None or author is None:
        return None  # answered, or gone, before it could be sent
    if not author.inbox_url:
        return None
    post_uri = out.urls.of_post(post, author)
    instrument: dict[str, Any]
    if row.kind == Interaction.reply:
        reply = await out.post(row.interacting_post_id)
        if reply is None:
            return None
        source = await note_source(out.session, out.urls, reply, out.sender)
        instrument = outgoing.note_from_post(out.urls, source)
    else:
        like_id = out.urls.activity("like", row.activity_id)
        instrument = {"type": "Like", "id": like_id, "actor": out.me, "object": post_uri}
    activity = {
        "@context": context_for(Interaction(row.kind)),
        "type": REQUEST_TYPES[Interaction(row.kind)],
        "id": request_id(out.urls, row),
        "actor": out.me,
        "object": post_uri,
        "to": [out.urls.of_actor(author)],
        "instrument": instrument,
    }
    return Built(activity, [author.inbox_url])


def carrying_authorization(
    build: Callable[[Outgoing], Awaitable[Built | None]],
) -> Callable[[Outgoing], Awaitable[Built | None]]:
    """The Create of a member's reply carries the authorization its parent's author
    gave (`replyAuthorization`), for every server to check."""

    async def build_carrying(out: Outgoing) -> Built | None:
        built = await build(out)
        if built is None or out.item.post_id is None:
            return built
        given = (
            await out.session.exec(
                select(InteractionRequest.authorization_uri).where(
                    col(InteractionRequest.interacting_post_id) == out.item.post_id,
                    col(InteractionRequest.direction) == Direction.outgoing,
                    col(InteractionRequest.state) == RequestState.accepted,
                )
            )
        ).first()
        if given and isinstance(built.activity.get("object"), dict):
            built.activity["object"]["replyAuthorization"] = given
            built.activity["@context"] = [*built.activity["@context"], GTS]
        return built

    return build_carrying


BUILDERS[OutboxKind.interaction_request] = build_request
