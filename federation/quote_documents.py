"""Quote posts in documents: what a Note says about the post it quotes, and the
QuoteAuthorization documents other servers dereference to check an approval."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Post
from server.models.interaction_policies import (
    Interaction,
    InteractionRequest,
    Quote,
    QuoteState,
    RequestState,
)
from server.urls import Urls


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
                authorization = urls.authorization(author.username, row.activity_id)
        elif not quoted.is_local:
            authorization = quote.authorization_uri
    return quote.quoted_uri, page or quote.quoted_uri, authorization
