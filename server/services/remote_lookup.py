"""Reaching people elsewhere: the remote-lookup port, and the rules that use it.

Services never open connections (DESIGN.md). When one needs someone on another server (a
mention in a post, a search), it asks the `RemoteLookup` it was given, so every door (web
pages, client API) behaves the same. federation/lookup.py implements the port with
WebFinger and signed fetches; create_app keeps one in `app.state.remote_lookup`.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Post
from server.services import content, remote_actors
from server.services.errors import ServiceError

log = logging.getLogger(__name__)

#: Unknown people looked up for one post's mentions, at most.
MAX_DISCOVERIES = 5


class RemoteLookup(Protocol):
    """Finds people and posts on other servers, and stores what it finds."""

    async def person(self, session: AsyncSession, handle: str) -> Actor:
        """The person @user@domain (refreshed when stale). Invalid when `handle` is not
        one or names someone here; NotFound when their server does not answer for them."""
        ...

    async def at_url(self, session: AsyncSession, url: str) -> Actor | Post:
        """The person or post at `url` on another server; NotFound when there is neither."""
        ...


async def find(session: AsyncSession, lookup: RemoteLookup, query: str) -> Actor | Post | None:
    """What a search names on another server: a profile or post URL, or @user@domain.
    None when the query is neither (a search of what Porch knows answers it)."""
    query = query.strip()
    if query.startswith(("https://", "http://")):
        return await lookup.at_url(session, query)
    if "@" in query.lstrip("@"):
        return await lookup.person(session, query)
    return None


async def meet_mentioned(session: AsyncSession, lookup: RemoteLookup, text: str) -> None:
    """Look up the @user@domain people `text` mentions whom Porch has not met yet, so the
    post links and addresses them (Mastodon resolves mentions when a post is written).
    Best effort: someone who cannot be found stays plain text in the post."""
    elsewhere = sorted(h for h in content.mentioned_handles(text) if "@" in h)
    known = await remote_actors.known_accts(session, elsewhere[:MAX_DISCOVERIES])
    for handle in elsewhere[:MAX_DISCOVERIES]:
        if handle.lower() in known:
            continue
        try:
            await lookup.person(session, handle)
        except ServiceError as exc:
            log.info("mention of @%s left as text: %s", handle, exc.message)
