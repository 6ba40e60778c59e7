"""Looking up people and posts elsewhere: the remote-lookup port, over ActivityPub.

`FederatedLookup` is what services get as their `RemoteLookup`
(server/services/remote_lookup.py): a handle through WebFinger (federation/actors.py),
a profile or post URL a person pastes through a signed fetch (below).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import incoming
from federation.actors import Unresolvable, by_handle, resolve
from federation.dispatch import store_note
from federation.fetch import FetchError
from federation.incoming import Malformed
from federation.reach import explain, host_of, unreachable
from federation.runtime import Federation
from server.models import Actor, Post
from server.services import remote_actors, remote_posts
from server.services.errors import NotFound


async def by_url(fed: Federation, session: AsyncSession, url: str) -> Actor | Post:
    """The actor or post at `url`, fetched and stored when Porch does not know it yet.

    The document is trusted only as its own server serves it (Federation.fetch).
    """
    known_actor = await remote_actors.by_uri(session, url)
    if known_actor is not None:
        return known_actor
    known_post = await remote_posts.by_uri(session, url)
    if known_post is not None:
        return known_post
    if await fed.blocks(session, url):
        raise NotFound("That server is blocked here.")
    try:
        data = await fed.fetch(url)
    except FetchError as exc:
        raise NotFound(unreachable(host_of(url), exc)) from exc
    try:
        if data.get("type") in incoming.ACTOR_TYPES:
            return await resolve(fed, session, incoming.actor_doc(data).id)
        note = incoming.note_doc(data)
        author = await resolve(fed, session, note.attributed_to)
        post_id = await store_note(fed, session, author, note, require_relevance=False)
    except (Malformed, Unresolvable) as exc:
        raise NotFound(explain(host_of(url), exc, what="a profile or a post")) from exc
    post = await session.get(Post, post_id) if post_id is not None else None
    if post is None:
        raise NotFound("That post was deleted.")
    return post


@dataclass(frozen=True)
class FederatedLookup:
    """The remote-lookup port for services, held by the app for the life of the process."""

    fed: Federation

    async def person(self, session: AsyncSession, handle: str) -> Actor:
        """@user@domain through WebFinger, as `by_handle`."""
        return await by_handle(self.fed, session, handle)

    async def at_url(self, session: AsyncSession, url: str) -> Actor | Post:
        """A profile or post URL, as `by_url`."""
        return await by_url(self.fed, session, url)
