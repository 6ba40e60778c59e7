"""Deletes passed on by someone else: believed only when the post's own server says so."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import incoming
from federation.fetch import FetchError
from federation.origins import same_origin
from federation.runtime import Federation
from server.models import Actor, Post, Visibility
from server.services import remote_posts

log = logging.getLogger(__name__)


async def apply_forwarded(fed: Federation, session: AsyncSession, uri: str) -> None:
    """Remove the remote post `uri` if its server confirms it is gone; otherwise leave
    it, whoever signed the Delete that named it."""
    post = await remote_posts.by_uri(session, uri)
    if post is None or post.uri is None:
        return
    author = await session.get(Actor, post.actor_id)
    if author is None or author.uri is None or not same_origin(post.uri, author.uri):
        return
    if await gone_at_origin(fed, session, post):
        await remote_posts.remove(session, post, fed.clock.now())
    else:
        log.info("ignoring a passed-on Delete of %s: its server does not confirm it", uri)


async def gone_at_origin(fed: Federation, session: AsyncSession, post: Post) -> bool:
    """Whether the post's own server says it is deleted, asked by someone it would show
    the post to.

    410, or a Tombstone, from the post's own server is proof. A 404 is proof only when
    the one asking may read the post: Mastodon answers 404 to anyone else for a
    followers-only or direct post. So those are fetched signed as a member here who
    follows the author (or is mentioned); with no such member there is no proof.
    """
    assert post.uri is not None
    reader = await remote_posts.local_reader(session, post)
    may_read = reader is not None or post.visibility in (Visibility.public, Visibility.unlisted)
    try:
        doc = await fed.fetch(post.uri, as_member=reader)
    except FetchError as exc:
        from_origin = exc.url is not None and same_origin(exc.url, post.uri)
        return from_origin and (exc.status == 410 or (exc.status == 404 and may_read))
    # fed.fetch has checked that the document is the post's own server's, at its id.
    return incoming.kind_of(doc) == "Tombstone"
