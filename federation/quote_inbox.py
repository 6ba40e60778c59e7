"""Incoming quote activities (FEP-044f as Mastodon 4.5 sends them): QuoteRequests for
members' posts, answers to members' requests, revocations, and Notes that quote.

An approval is trusted only as the quoted author's server serves it: a
QuoteAuthorization is dereferenced (signed GET) and must name the quoted author (on
its own host), the quoting post and the quoted post.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

# dispatch.py registers these handlers, so its names are read when a handler runs.
from federation import dispatch, incoming
from federation.actors import Unresolvable, resolve
from federation.fetch import FetchError
from federation.incoming import Activity, Malformed
from federation.origins import same_origin
from federation.quote_documents import authorization_token
from federation.runtime import Federation
from server.models import Actor, Post
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import quote_answers, quote_requests, remote_posts
from server.services.errors import ServiceError

log = logging.getLogger(__name__)

#: Where a quote's target may be written: FEP-044f's term first, then the older ones
#: Mastodon still reads.
QUOTE_KEYS = ("quote", "_misskey_quote", "quoteUrl", "quoteUri")


def quoted_uri_of(obj: dict[str, Any]) -> str | None:
    """The post a Note quotes (the first one, as Mastodon reads it), or None."""
    for key in QUOTE_KEYS:
        found = incoming.ref(obj.get(key))
        if found:
            return found
    return None


def quotes_here(fed: Federation, obj: dict[str, Any] | None) -> bool:
    """Whether a Note quotes a post of this server's: it concerns its author here, as a
    reply to them would, so it is kept (and shown as a quote only once approved)."""
    quoted = quoted_uri_of(obj) if obj is not None else None
    return quoted is not None and fed.urls.post_id_of(quoted) is not None


async def _post_here(fed: Federation, session: AsyncSession, uri: str) -> Post | None:
    post_id = fed.urls.post_id_of(uri)
    if post_id is not None:
        post = await session.get(Post, post_id)
        return post if post is not None and post.is_local else None
    return await remote_posts.by_uri(session, uri)


async def _author_uri(fed: Federation, session: AsyncSession, post: Post) -> str | None:
    author = await session.get(Actor, post.actor_id)
    if author is None:
        return None
    return fed.urls.of_actor(author)


async def verified(
    fed: Federation, authorization: str, quoting_uri: str, quoted_uri: str, quoted_author: str
) -> bool:
    """Whether the QuoteAuthorization at `authorization`, as its server serves it,
    approves `quoting_uri` quoting `quoted_uri` on behalf of `quoted_author`."""
    if not same_origin(authorization, quoted_author):
        return False
    try:
        doc = await fed.fetch(authorization)
    except (FetchError, Malformed) as exc:
        log.info("could not check quote authorization %s: %s", authorization, exc)
        return False
    return (
        incoming.kind_of(doc) == "QuoteAuthorization"
        and incoming.ref(doc.get("id")) == authorization
        and incoming.ref(doc.get("attributedTo")) == quoted_author
        and incoming.ref(doc.get("interactingObject")) == quoting_uri
        and incoming.ref(doc.get("interactionTarget")) in (None, quoted_uri)
    )


async def _ours_verified(session: AsyncSession, token: str, quoting_uri: str, quoted: Post) -> bool:
    """An authorization this instance gave: standing, for this quote of this post."""
    row = (
        await session.exec(
            select(InteractionRequest).where(col(InteractionRequest.activity_id) == token)
        )
    ).first()
    return (
        row is not None
        and row.kind == Interaction.quote
        and row.state == RequestState.accepted
        and row.target_post_id == quoted.id
        and row.object_uri in (None, quoting_uri)
    )


async def noted(
    fed: Federation, session: AsyncSession, post_id: int | None, obj: dict[str, Any] | None
) -> None:
    """A stored Note from elsewhere that quotes a post: its quote is kept, shown only
    once approved (a verified authorization, or a self-quote)."""
    if post_id is None or obj is None or (quoted_uri := quoted_uri_of(obj)) is None:
        return
    post = await session.get(Post, post_id)
    if post is None or post.uri is None:
        return
    quoted = await store_quoted(fed, session, quoted_uri)
    authorization = incoming.ref(obj.get("quoteAuthorization"))
    approved = None
    if authorization is not None and quoted is not None:
        token = authorization_token(fed.urls, authorization)
        if token is not None:
            ok = quoted.is_local and await _ours_verified(session, token, post.uri, quoted)
        else:
            author = await _author_uri(fed, session, quoted)
            ok = author is not None and await verified(
                fed, authorization, post.uri, quoted_uri, author
            )
        approved = authorization if ok else None
    quoted_id = quoted.id if quoted is not None else None
    await quote_answers.noted(session, post, quoted_uri, quoted_id, approved, fed.clock.now())


async def on_quote_request(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    """Someone elsewhere asks to quote a member's post: answered by its policy."""
    quoted = await _post_here(fed, session, activity.object_ref or "")
    if quoted is None or not quoted.is_local:
        raise Malformed("A QuoteRequest's object must be a post on this server.")
    try:  # before anything is stored: nothing is kept of a refused request
        quote_requests.refuse_unquotable(quoted)
    except quote_requests.Refused as exc:
        raise Malformed(str(exc)) from exc
    instrument = activity.raw.get("instrument")
    quoting_uri = incoming.ref(instrument)
    if quoting_uri is None or not same_origin(quoting_uri, activity.actor):
        raise Malformed("A QuoteRequest's instrument must be the requester's own post.")
    quoting = await remote_posts.by_uri(session, quoting_uri)
    if isinstance(instrument, dict):  # Mastodon embeds the quoting Note
        note = incoming.note_doc(instrument)
        if note.attributed_to != signer.uri:
            raise Malformed("A QuoteRequest's instrument must be the requester's own post.")
        if quoted_uri_of(instrument) != fed.urls.of_post(quoted, await _owner(session, quoted)):
            raise Malformed("The quoting post does not quote the requested post.")
        stored = await dispatch.store_note(fed, session, signer, note, require_relevance=False)
        quoting = await session.get(Post, stored) if stored is not None else None
        if quoting is not None:
            await quote_answers.noted(
                session, quoting, quoted_uri_of(instrument) or "", quoted.id, None, fed.clock.now()
            )
    try:
        await quote_requests.requested(
            session,
            quoted,
            signer,
            request_uri=activity.id,
            quoting_uri=quoting_uri,
            quoting_post_id=quoting.id if quoting is not None else None,
            now=fed.clock.now(),
        )
    except quote_requests.Refused as exc:
        raise Malformed(str(exc)) from exc


async def _owner(session: AsyncSession, post: Post) -> Actor:
    author = await session.get(Actor, post.actor_id)
    assert author is not None
    return author


async def on_answer(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity, *, accepted: bool
) -> bool:
    """An Accept or Reject of a member's QuoteRequest; False when it answers something
    else. An Accept must name, as `result`, an authorization its sender serves."""
    ref = activity.object_ref
    token = fed.urls.activity_token_of(ref, "quote_request") if ref else None
    if token is None:
        return False
    row = await quote_answers.ours(session, token)
    if row is None or row.interacting_post_id is None:
        return True  # a request that is gone: nothing to change
    quoted = await session.get(Post, row.target_post_id)
    quoting = await session.get(Post, row.interacting_post_id)
    if quoted is None or quoting is None or quoted.actor_id != signer.id or quoted.uri is None:
        raise Malformed("Only the quoted post's author can answer this QuoteRequest.")
    result = None
    if accepted:
        result = incoming.ref(activity.raw.get("result"))
        if result is None:
            raise Malformed("An Accept of a QuoteRequest must name its QuoteAuthorization.")
        quoting_uri = fed.urls.of_post(quoting, await _owner(session, quoting))
        if not await verified(fed, result, quoting_uri, quoted.uri, signer.uri or ""):
            raise Malformed("The QuoteAuthorization does not approve this quote.")
    await quote_answers.answered(session, row, result, fed.clock.now())
    return True


async def on_revoke(fed: Federation, session: AsyncSession, signer: Actor, target: str) -> bool:
    """A Delete of an authorization `signer` gave: the quotes it approved are removed."""
    return await quote_answers.revoked_elsewhere(session, target, signer, fed.clock.now())


async def store_quoted(fed: Federation, session: AsyncSession, uri: str) -> Post | None:
    """The quoted post, fetched from its server when Porch does not have it yet."""
    if (found := await _post_here(fed, session, uri)) is not None or fed.urls.is_local(uri):
        return found
    try:
        note = incoming.note_doc(await fed.fetch(uri))
        author = await resolve(fed, session, note.attributed_to)
        stored = await dispatch.store_note(fed, session, author, note, require_relevance=False)
    except (FetchError, Unresolvable, Malformed, ServiceError) as exc:
        log.info("could not load quoted post %s: %s", uri, exc)
        return None
    return await session.get(Post, stored) if stored is not None else None
