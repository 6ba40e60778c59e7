"""Quote posts in documents: what a Note says about the post it quotes, and the
QuoteAuthorization documents other servers dereference to check an approval."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from federation import context, outgoing, quote_vocab
from federation.negotiation import AS2Response
from server.models import Actor, Post
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    Quote,
    QuoteState,
    RequestState,
)
from server.services import accounts
from server.services.errors import NotFound
from server.urls import Urls


def authorization_url(urls: Urls, username: str, activity_id: str) -> str:
    """Where a member's approval is served: GoToSocial's path for authorizations."""
    return f"{urls.actor(username)}/authorizations/{activity_id}"


def authorization_token(urls: Urls, uri: str) -> str | None:
    """The approval's `activity_id` if `uri` is one of this instance's authorizations."""
    if not urls.is_local(uri):
        return None
    head, _, token = uri.rpartition("/authorizations/")
    return token if head and urls.username_of(head) and token.isalnum() else None


async def quote_of(
    session: AsyncSession, urls: Urls, post: Post
) -> tuple[str, str, str | None] | None:
    """The quoted post's id and page, and the authorization a Note carries once
    approved: ours for a post here, the one the quoted server gave otherwise."""
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == post.id))).first()
    if quote is None:
        return None
    quoted = await session.get(Post, quote.quoted_post_id) if quote.quoted_post_id else None
    page = (quoted.url or quoted.uri) if quoted is not None and quoted.uri else None
    author = await session.get(Actor, quoted.actor_id) if quoted is not None else None
    if quoted is not None and author is not None and quoted.is_local:
        page = urls.post_page(author.username, quoted.id)
    authorization = None
    if quote.state == QuoteState.accepted and quoted is not None and author is not None:
        if quoted.is_local and quoted.actor_id != post.actor_id:
            row = (
                await session.exec(
                    select(InteractionRequest).where(
                        col(InteractionRequest.kind) == Interaction.quote,
                        col(InteractionRequest.target_post_id) == quoted.id,
                        col(InteractionRequest.interacting_post_id) == post.id,
                        col(InteractionRequest.state) == RequestState.accepted,
                    )
                )
            ).first()
            if row is not None:
                authorization = authorization_url(urls, author.username, row.activity_id)
        elif not quoted.is_local:
            authorization = quote.authorization_uri
    return quote.quoted_uri, page or quote.quoted_uri, authorization


async def authorization(request: Request) -> Response:
    """GET /users/{name}/authorizations/{id}: a QuoteAuthorization while it stands;
    410 once its author revoked it."""
    urls = context.urls(request)
    username, token = request.path_params["username"], request.path_params["token"]
    async with context.sessions(request)() as session:
        try:
            author = await accounts.local_actor(session, username)
        except NotFound:
            return AS2Response({"error": "There is no such authorization."}, 404)
        row = (
            await session.exec(
                select(InteractionRequest).where(
                    col(InteractionRequest.activity_id) == token,
                    col(InteractionRequest.author_id) == author.id,
                    col(InteractionRequest.direction) == Direction.incoming,
                    col(InteractionRequest.kind) == Interaction.quote,
                )
            )
        ).first()
        if row is None or row.state not in (RequestState.accepted, RequestState.revoked):
            return AS2Response({"error": "There is no such authorization."}, 404)
        own_id = authorization_url(urls, username, token)
        if row.state == RequestState.revoked:
            return AS2Response(outgoing.tombstone(own_id), 410)
        quoted = await session.get(Post, row.target_post_id)
        quoting = (
            await session.get(Post, row.interacting_post_id) if row.interacting_post_id else None
        )
        quoting_author = await session.get(Actor, quoting.actor_id) if quoting else None
        quoting_uri = row.object_uri
        if quoting is not None and quoting_author is not None:
            quoting_uri = urls.of_post(quoting, quoting_author)
        if quoted is None or quoting_uri is None:
            return AS2Response({"error": "There is no such authorization."}, 404)
        body = quote_vocab.authorization(
            own_id, urls.actor(username), quoting_uri, urls.post(username, quoted.id)
        )
    return AS2Response(outgoing.document(body))
