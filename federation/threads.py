"""Whole threads: replies whose parent has not arrived get the parent chain fetched."""

from __future__ import annotations

import logging

from federation import incoming
from federation.actors import Unresolvable, resolve
from federation.dispatch import store_note
from federation.fetch import FetchError
from federation.incoming import Malformed
from federation.runtime import Federation
from server.services import remote_posts

log = logging.getLogger(__name__)

#: How far up a thread Porch walks for one reply (Mastodon bounds its discovery too).
MAX_DEPTH = 8


async def fetch_missing_parents(fed: Federation, limit: int = 20) -> int:
    """For recent replies with an unknown parent, fetch the chain above them; returns
    how many posts were stored. Parents that cannot be fetched are not tried again by
    this process."""
    async with fed.sessions() as session:
        waiting = await remote_posts.orphans(session, limit)
    stored = 0
    for _, parent_uri in waiting:
        uri: str | None = parent_uri
        for _ in range(MAX_DEPTH):
            if uri is None or uri in fed.unreachable or fed.urls.is_local(uri):
                break
            async with fed.sessions() as session:
                if await remote_posts.by_uri(session, uri) is not None:
                    break
                if await fed.blocks(session, uri):
                    break  # nothing is fetched from a blocked server
                try:
                    note = incoming.note_doc(await fed.fetch(uri))
                    if note.id != uri:
                        # Stored under another id, the reply would stay an orphan.
                        raise Malformed(f"the parent is known as {note.id}")
                    author = await resolve(fed, session, note.attributed_to)
                    await store_note(fed, session, author, note, require_relevance=False)
                except (FetchError, Unresolvable, Malformed) as exc:
                    log.info("could not fetch parent %s: %s", uri, exc)
                    fed.unreachable.add(uri)
                    break
            stored += 1
            uri = note.in_reply_to
    return stored
