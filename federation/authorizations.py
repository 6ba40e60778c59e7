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

from federation import context
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


BUILDERS = {
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
