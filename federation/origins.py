"""Whose a fetched document is: its server speaks only for itself and its own people.

Every fetch of a remote object goes through `fetch_object` (Federation.fetch): a server
could otherwise serve a post "by" someone elsewhere, at any URL, and Porch would keep
it under that person's name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from federation import incoming
from federation.fetch import FetchError, fetch_document


class ForeignDocument(FetchError):
    """The document is not its own server's to serve: its id is not where it came from,
    or it names an author, actor, owner or key on another server."""


def same_origin(*uris: str) -> bool:
    """Whether all `uris` are on one server (scheme aside, as Mastodon compares hosts)."""
    return len({incoming.host(u) for u in uris}) == 1


def check_origin(doc: dict[str, Any]) -> str:
    """The document's id, once its author (attributedTo), actor, owner and key are on
    the id's server; ForeignDocument otherwise."""
    doc_id = incoming.ref(doc.get("id"))
    if doc_id is None:
        raise ForeignDocument("The document has no id.")
    claimed = [*incoming.refs(doc.get("attributedTo"))]
    claimed += [incoming.ref(doc.get(name)) or doc_id for name in ("actor", "owner")]
    key = doc.get("publicKey")
    key = key[0] if isinstance(key, list) and key else key
    if isinstance(key, dict):
        claimed += [incoming.ref(key.get("id")) or doc_id, incoming.ref(key.get("owner")) or doc_id]
    for uri in claimed:
        if not same_origin(uri, doc_id):
            raise ForeignDocument(f"{doc_id} names {uri}, which is on another server.")
    return doc_id


def _same_url(a: str, b: str) -> bool:
    try:
        return httpx.URL(a).copy_with(fragment=None) == httpx.URL(b).copy_with(fragment=None)
    except httpx.InvalidURL:
        return False


class BlockedServer(FetchError):
    """The document is, or would be, from a server the admins blocked."""


async def fetch_object(
    client: httpx.AsyncClient,
    url: str,
    auth: httpx.Auth | None,
    blocked: Callable[[str], Awaitable[bool]],
) -> dict[str, Any]:
    """The document at `url`, trusted as its own server's.

    Its id must be the URL it was finally served from (after redirects). A document
    naming another id (a profile or post page answering with the actor or the post) is
    fetched again from that id, and must be served there. Then `check_origin`. Callers
    check `url` against the admins' blocks; any other server the document comes from or
    points to is checked against `blocked` here, so an open server cannot pass on (or
    redirect to) a blocked one's objects.
    """
    asked = incoming.host(url)

    async def refuse_blocked(uri: str) -> None:
        # Only another server costs a look at the policies (a session of its own).
        if incoming.host(uri) != asked and await blocked(uri):
            raise BlockedServer(f"{incoming.host(uri)} is blocked here.")

    served_from, doc = await fetch_document(client, url, auth)
    await refuse_blocked(served_from)
    doc_id = check_origin(doc)
    if not _same_url(doc_id, served_from):
        await refuse_blocked(doc_id)
        served_from, doc = await fetch_document(client, doc_id, auth)
        await refuse_blocked(served_from)
        if incoming.ref(doc.get("id")) != doc_id:
            raise ForeignDocument(f"{doc_id} answered with a document for another id.")
        check_origin(doc)
    if not _same_url(doc_id, served_from):
        raise ForeignDocument(f"{doc_id} was served from {served_from}, not from itself.")
    return doc
