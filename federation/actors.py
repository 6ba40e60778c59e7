"""Knowing remote actors: fetched by id, by key id, or by @user@domain through WebFinger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import incoming
from federation.fetch import FetchError, fetch_jrd
from federation.incoming import Malformed
from federation.reach import explain, unreachable
from federation.runtime import Federation
from server.models import Actor
from server.services import remote_actors
from server.services.errors import Invalid, NotFound

#: Profiles older than this are refreshed when next needed.
STALE_AFTER = timedelta(days=1)


class Unresolvable(Exception):
    """The actor could not be fetched or read. `temporary` says whether to try later."""

    def __init__(self, message: str, *, temporary: bool = False, gone: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.gone = gone


async def resolve(
    fed: Federation, session: AsyncSession, uri: str, *, refresh: bool = False
) -> Actor:
    """The remote actor with id `uri`, fetched when unknown, stale or `refresh`ed."""
    if fed.urls.is_local(uri):
        raise Unresolvable("That is one of Porch's own ids.")
    actor = await remote_actors.by_uri(session, uri)
    now = fed.clock.now()
    fresh = actor is not None and actor.fetched_at and now - actor.fetched_at < STALE_AFTER
    if actor is not None and fresh and not refresh:
        return actor
    try:
        return await _fetch_and_store(fed, session, uri)
    except Unresolvable:
        if actor is not None and not refresh:
            return actor  # keep using what we have while its server is away
        raise


async def _fetch_and_store(fed: Federation, session: AsyncSession, uri: str) -> Actor:
    try:
        data = await fed.fetch(uri)
    except FetchError as exc:
        gone = exc.status in (404, 410)
        raise Unresolvable(
            f"Could not fetch {uri}: {exc}", temporary=exc.temporary, gone=gone
        ) from exc
    return await _store(fed, session, uri, data)


async def _store(fed: Federation, session: AsyncSession, uri: str, data: dict[str, Any]) -> Actor:
    """Store the actor document `data`, fetched (so vouched for) from its id `uri`."""
    if fed.urls.is_local(uri):
        raise Unresolvable("That is one of Porch's own ids.")
    try:
        doc = incoming.actor_doc(data)
    except Malformed as exc:
        raise Unresolvable(f"{uri} is not a usable actor: {exc}") from exc
    # Its server vouches for it (Federation.fetch); it must also be the one asked for.
    if doc.id != uri:
        raise Unresolvable(f"{uri} answered with a document for {doc.id}.")
    return await remote_actors.store(session, incoming.profile_from_actor(doc), fed.clock.now())


async def key_for(
    fed: Federation, session: AsyncSession, key_id: str, *, refresh: bool = False
) -> tuple[Actor, str]:
    """The actor owning `key_id` and its public key PEM; fetched when unknown or `refresh`."""
    if not refresh:
        found = await remote_actors.by_key_id(session, key_id)
        if found is not None:
            return found[0], found[1].public_pem
    # Mastodon's keys are fragments of the actor (`…/users/zoe#main-key`); GoToSocial's
    # are separate documents (`…/users/zoe/main-key`) whose owner is the actor.
    actor_uri = key_id.split("#", 1)[0]
    if "#" not in key_id:
        try:
            data = await fed.fetch(key_id)
        except FetchError as exc:
            raise Unresolvable(
                str(exc), temporary=exc.temporary, gone=exc.status in (404, 410)
            ) from exc
        if incoming.kind_of(data) in incoming.ACTOR_TYPES:
            # GoToSocial serves a stub of the actor at its key id; fetching it has
            # fetched the whole actor from its own id already: store that one.
            actor = await _store(fed, session, incoming.ref(data.get("id")) or key_id, data)
            return await _owned_key(session, actor, key_id)
        actor_uri = incoming.ref(data.get("owner")) or incoming.ref(data.get("id")) or key_id
    actor = await resolve(fed, session, actor_uri, refresh=True)
    return await _owned_key(session, actor, key_id)


async def _owned_key(session: AsyncSession, actor: Actor, key_id: str) -> tuple[Actor, str]:
    """`actor` and the key `key_id`, which their document must list as theirs."""
    found = await remote_actors.by_key_id(session, key_id)
    if found is None or found[0].id != actor.id:
        raise Unresolvable(f"{actor.uri} does not list the key {key_id}.")
    return actor, found[1].public_pem


def parse_handle(handle: str) -> tuple[str, str]:
    """("user", "domain") from @user@domain, user@domain or acct:user@domain."""
    value = handle.strip().removeprefix("acct:").lstrip("@")
    user, _, domain = value.partition("@")
    if not user or not domain or "@" in domain or "/" in domain:
        raise Invalid("Search for someone as @name@their.server.", field="q")
    return user, domain.lower()


async def by_handle(fed: Federation, session: AsyncSession, handle: str) -> Actor:
    """Find @user@domain through WebFinger (RFC 7033) and fetch the actor it points to."""
    user, domain = parse_handle(handle)
    if domain == fed.urls.host.lower():
        raise Invalid("That is someone on this server: open their profile instead.", field="q")
    known = await remote_actors.by_acct(session, user, domain)
    if known is not None and known.uri and known.suspended_at is None:
        return await resolve(fed, session, known.uri)
    resource = quote(f"acct:{user}@{domain}", safe=":@")
    scheme = urlsplit(fed.urls.base).scheme if domain.startswith("localhost") else "https"
    try:
        jrd = await fetch_jrd(
            fed.client, f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"
        )
    except FetchError as exc:
        raise NotFound(unreachable(domain, exc, what=f"@{user}@{domain}")) from exc
    offered = jrd.get("links")
    links = offered if isinstance(offered, list) else []
    uri = next(
        (
            link.get("href")
            for link in links
            if isinstance(link, dict)
            and link.get("rel") == "self"
            and "json" in str(link.get("type", ""))
            and isinstance(link.get("href"), str)
        ),
        None,
    )
    if uri is None:
        raise NotFound(f"@{user}@{domain} has no ActivityPub profile.")
    try:
        return await resolve(fed, session, uri)
    except Unresolvable as exc:
        raise NotFound(explain(domain, exc, what="a profile")) from exc
