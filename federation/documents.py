"""ActivityStreams documents Porch serves: actors, notes, and their collections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import collection_docs, context, outgoing
from federation.authentication import Reader, reader
from federation.keys import instance_key, local_key
from federation.negotiation import AS2Response, wants_as2
from federation.quote_documents import quote_of
from server.ids import parse_id
from server.models import Actor, Post, PostState
from server.services import accounts, content, follows, post_policies, post_reads, timelines
from server.services.errors import NotFound
from server.services.paging import Window
from server.urls import Urls

PAGE = 20
# Fields an unsigned reader still gets under authorized fetch, as Mastodon does, so
# that servers can fetch a key before they can sign.
MINIMAL_ACTOR = ("@context", "id", "type", "preferredUsername", "inbox", "publicKey", "endpoints")


def _not_found(message: str) -> AS2Response:
    return AS2Response({"error": message}, 404)


def _to_html(request: Request, url: str) -> Response | None:
    """Browsers asking for an ActivityPub id are sent to the page for people."""
    if wants_as2(request.headers.get("accept", "")):
        return None
    return RedirectResponse(url, 302, headers={"Vary": "Accept"})


async def _member(session: AsyncSession, username: str) -> Actor | None:
    try:
        return await accounts.local_actor(session, username)
    except NotFound:
        return None


async def actor(request: Request) -> Response:
    urls = context.urls(request)
    username = request.path_params["username"]
    if (page := _to_html(request, urls.profile(username))) is not None:
        return page
    if context.settings(request).authorized_fetch:
        async with context.sessions(request)() as session:
            # Strangers get the short form, so who asks matters.
            who = await reader(request, session, required=False)
            person = await _member(session, username)
            if person is None:
                return _not_found(f"There is nobody called {username} here.")
            doc = await person_document(session, urls, person)
        if who.actor is None:
            doc = {k: v for k, v in doc.items() if k in MINIMAL_ACTOR}
        return AS2Response(doc)
    async with context.sessions(request)() as session:
        person = await _member(session, username)
        if person is None:
            return _not_found(f"There is nobody called {username} here.")
        doc = await person_document(session, urls, person)
    return AS2Response(doc)


async def person_document(session: AsyncSession, urls: Urls, person: Actor) -> dict[str, Any]:
    """A member's actor document, as served and as sent in Update(Person)."""
    key = await local_key(session, urls, person)
    avatar = None
    if person.avatar_path:
        avatar = (f"{urls.base}/media/{person.avatar_path}", "image/webp")
    header = None
    if person.header_path:
        header = (f"{urls.base}/media/{person.header_path}", "image/webp")
    summary = content.render(person.bio, {}, urls.base).html if person.bio else ""
    fields = [(f["name"], content.render(f["value"], {}, urls.base).html) for f in person.fields]
    return outgoing.person_from_member(
        urls,
        person,
        key.public_pem,
        summary_html=summary,
        avatar=avatar,
        header=header,
        fields=fields,
    )


async def instance_actor(request: Request) -> Response:
    """The instance actor is always readable unsigned: others fetch its key from here."""
    urls = context.urls(request)
    async with context.sessions(request)() as session:
        _, key = await instance_key(session, urls)
    return AS2Response(outgoing.application_from_instance(urls, key.public_pem))


async def _readable_post(
    request: Request, session: AsyncSession, urls: Urls
) -> tuple[Post, Actor, Reader] | Response:
    username, post_id = request.path_params["username"], parse_id(request.path_params["post_id"])
    # Who asks first: checking a signature may store the signer, and a concurrent store
    # of the same signer rolls the session back, which would expire the rows read here.
    who = await reader(request, session, required=True)
    person = await _member(session, username)
    if person is None or post_id is None:
        return _not_found("This post does not exist.")
    post = await session.get(Post, post_id)
    if post is None or post.actor_id != person.id or post.state == PostState.pending:
        return _not_found("This post does not exist.")
    if post.state == PostState.deleted:
        return AS2Response(outgoing.tombstone(urls.post(username, post_id)), 410)
    try:
        await post_reads.get_visible(session, who.actor.id if who.actor else None, post_id)
    except NotFound:
        return _not_found("This post does not exist, or you cannot see it.")
    return post, person, who


async def note_source(
    session: AsyncSession, urls: Urls, post: Post, author: Actor
) -> outgoing.NoteSource:
    """Load what a Note is built from."""
    found = await post_reads.details(session, post)
    parent = urls.of_post(*found.parent) if found.parent else post.in_reply_to_uri
    policy = await post_policies.of_post(session, post) if post.is_local else None
    source = outgoing.NoteSource(
        post, author, found.mentions, found.tags, found.attachments, parent, policy
    )
    source.quote = await quote_of(session, urls, post)
    return source


async def note(request: Request) -> Response:
    urls = context.urls(request)
    username, post_id = request.path_params["username"], parse_id(request.path_params["post_id"])
    if post_id is None:
        return _not_found("This post does not exist.")
    if (page := _to_html(request, urls.post_page(username, post_id))) is not None:
        return page
    return await _serve_post(
        request, lambda source: outgoing.document(outgoing.note_from_post(urls, source))
    )


async def note_activity(request: Request) -> Response:
    urls = context.urls(request)
    return await _serve_post(request, lambda source: outgoing.create_from_post(urls, source))


async def _serve_post(
    request: Request, build: Callable[[outgoing.NoteSource], dict[str, Any]]
) -> Response:
    urls = context.urls(request)
    async with context.sessions(request)() as session:
        found = await _readable_post(request, session, urls)
        if isinstance(found, Response):
            return found
        post, author, _ = found
        if post.reblog_of_id is not None:
            return _not_found("This is a boost, not a post.")
        source = await note_source(session, urls, post, author)
    return AS2Response(build(source))


async def replies(request: Request) -> Response:
    """Public replies to a post, as an unordered Collection of ids."""
    urls = context.urls(request)
    async with context.sessions(request)() as session:
        found = await _readable_post(request, session, urls)
        if isinstance(found, Response):
            return found
        post, author, _ = found
        items = await timelines.public_replies(session, post.id, limit=PAGE)
    collection_id = urls.of_post(post, author) + "/replies"
    ids = [urls.of_post(p, a) for p, a in items]
    page = {
        "id": collection_id + "?page=true",
        "type": "CollectionPage",
        "partOf": collection_id,
        "items": ids,
    }
    if request.query_params.get("page"):
        return AS2Response(outgoing.document(page))
    return AS2Response(
        outgoing.document({"id": collection_id, "type": "Collection", "first": page})
    )


def _cursor(request: Request) -> int | None:
    """The page's `max_id`, read as every door reads ids; anything else is a 400."""
    raw = request.query_params.get("max_id", "")
    if raw == "":
        return None
    found = parse_id(raw)
    if found is None:
        raise HTTPException(400, "max_id must be the id from a next link of this collection.")
    return found


async def outbox(request: Request) -> Response:
    """Public and unlisted posts and boosts, newest first; never followers-only ones."""
    urls = context.urls(request)
    username = request.path_params["username"]
    outbox_id = urls.outbox(username)
    async with context.sessions(request)() as session:
        await reader(request, session, required=True)  # first, as in _readable_post
        person = await _member(session, username)
        if person is None:
            return _not_found(f"There is nobody called {username} here.")
        assert person.id is not None  # a stored row
        total = await timelines.public_count(session, person.id)
        if not request.query_params.get("page"):
            return AS2Response(
                collection_docs.ordered_collection(outbox_id, total, outbox_id + "?page=true")
            )
        page = await timelines.profile(
            session, None, person, with_replies=True, window=Window(max_id=_cursor(request))
        )
        items: list[Any] = []
        for view in page.items:
            if view.post.reblog_of_id is not None and view.reblog is not None:
                original = urls.of_post(view.reblog.post, view.reblog.author)
                items.append(
                    outgoing.embedded(
                        outgoing.announce_from_boost(
                            urls.post(username, view.post.id) + "/activity",
                            urls.actor(username),
                            urls.followers(username),
                            original,
                            urls.of_actor(view.reblog.author),
                            view.post.published_at or view.post.publish_at,
                        )
                    )
                )
            else:
                source = await note_source(session, urls, view.post, person)
                items.append(outgoing.embedded(outgoing.create_from_post(urls, source)))
    next_id = f"{outbox_id}?page=true&max_id={page.next_max_id}" if page.next_max_id else None
    page_id = str(request.url.replace(scheme=urls.base.split(":")[0], netloc=urls.host))
    return AS2Response(collection_docs.collection_page(page_id, outbox_id, items, next_id, total))


async def followers(request: Request) -> Response:
    return await _people(request, "followers")


async def following(request: Request) -> Response:
    return await _people(request, "following")


async def _people(request: Request, which: str) -> Response:
    urls = context.urls(request)
    username = request.path_params["username"]
    collection_id = urls.followers(username) if which == "followers" else urls.following(username)
    async with context.sessions(request)() as session:
        await reader(request, session, required=True)  # first, as in _readable_post
        person = await _member(session, username)
        if person is None:
            return _not_found(f"There is nobody called {username} here.")
        assert person.id is not None  # a stored row
        counts = await follows.counts(session, person.id)
        total = counts.followers if which == "followers" else counts.following
        if not request.query_params.get("page"):
            first = collection_id + "?page=1"
            return AS2Response(collection_docs.ordered_collection(collection_id, total, first))
        listing = follows.followers_of if which == "followers" else follows.followed_by
        rows = await listing(session, person.id, Window(limit=PAGE + 1, max_id=_cursor(request)))
    ids = [urls.of_actor(a) for _, a in rows[:PAGE]]
    next_id = f"{collection_id}?page=1&max_id={rows[PAGE - 1][0]}" if len(rows) > PAGE else None
    page_id = f"{collection_id}?{request.url.query}"
    return AS2Response(collection_docs.collection_page(page_id, collection_id, ids, next_id, total))


async def featured(request: Request) -> Response:
    """Pinned posts: Porch has none yet, so an empty collection (Mastodon reads it)."""
    return await _empty(request, "/collections/featured", "OrderedCollection", "orderedItems")


async def featured_tags(request: Request) -> Response:
    return await _empty(request, "/collections/tags", "Collection", "items")


async def _empty(request: Request, suffix: str, kind: str, items: str) -> Response:
    urls = context.urls(request)
    username = request.path_params["username"]
    async with context.sessions(request)() as session:
        if await _member(session, username) is None:
            return _not_found(f"There is nobody called {username} here.")
    body = {"id": urls.actor(username) + suffix, "type": kind, "totalItems": 0, items: []}
    return AS2Response(outgoing.document(body))
