"""The federation side of a running instance: its client, its keys, its URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from cachetools import TTLCache
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.fetch import FetchPolicy, make_client
from federation.keys import instance_key, local_key
from federation.origins import fetch_object
from federation.signatures import HttpSignatureAuth
from federation.signer_cache import SignerCache
from server import __version__
from server.bus import LocalBus
from server.clock import Clock
from server.config import Settings
from server.db import Sessions
from server.models import Actor, DomainPolicy
from server.services import domains
from server.urls import Urls

#: What carries outgoing federation requests (the network, or tests' in-process routing).
Transport = httpx.AsyncBaseTransport


@dataclass
class Federation:
    """Held by the app (and the worker) for the life of the process."""

    settings: Settings
    sessions: Sessions
    clock: Clock
    urls: Urls
    client: httpx.AsyncClient
    _auths: dict[int | None, HttpSignatureAuth] = field(default_factory=dict)
    #: Parent posts that could not be fetched, not tried again by this process.
    unreachable: set[str] = field(default_factory=set)
    #: Domain policies, kept for PORCH_PUBLIC_CACHE_SECONDS (admins' changes apply that
    #: late, except that a signed request drops them on hearing of a change: the signers).
    policies: TTLCache[str, Any] | None = None
    #: Who signs: key id → actor and key, until a change is announced (signer_cache.py).
    signers: SignerCache = field(default_factory=SignerCache)
    #: The app's bus, where the signer cache hears of changes (None in the worker).
    bus: LocalBus | None = None
    #: Servers recently heard from: their "it is up" is written once in a while.
    heard_from: TTLCache[str, bool] = field(
        default_factory=lambda: TTLCache(maxsize=10_000, ttl=600)
    )

    @classmethod
    def create(
        cls,
        settings: Settings,
        sessions: Sessions,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        urls: Urls | None = None,
    ) -> Federation:
        """`transport` replaces the network (tests route hosts to in-process apps);
        `urls` is the app's one instance (a process without the app makes its own)."""
        allowed = frozenset(
            h.strip().lower() for h in settings.federation_allow_private.split(",") if h.strip()
        )
        policy = FetchPolicy(
            user_agent=f"Porch/{__version__} (+{settings.base_url}/)",
            allow_private_hosts=allowed,
            verify=settings.federation_ssl_context(),
        )
        urls = urls or Urls(settings.base_url)
        fed = cls(settings, sessions, clock, urls, make_client(policy, transport))
        if settings.public_cache_seconds > 0:
            fed.policies = TTLCache(maxsize=10_000, ttl=settings.public_cache_seconds)
        return fed

    async def policy_of(self, session: AsyncSession, domain: str) -> DomainPolicy:
        """The admins' policy for a server (cached briefly)."""
        if self.policies is not None and domain in self.policies:
            return self.policies[domain]
        policy = await domains.policy_of(session, domain)
        if self.policies is not None:
            self.policies[domain] = policy
        return policy

    async def blocks(self, session: AsyncSession, uri: str) -> bool:
        """Whether `uri` is on a server the admins blocked: nothing is fetched from or
        accepted from there, whoever passes its content on."""
        return await self.policy_of(session, urlsplit(uri).netloc.lower()) is DomainPolicy.block

    async def heard(self, session: AsyncSession, domain: str) -> None:
        """A server wrote to us or took a delivery, so it is up: deliveries there resume
        (as in Mastodon). Written once in a while per server, not on every request."""
        if domain and domain not in self.heard_from:
            self.heard_from[domain] = True  # first, so concurrent requests write once
            await domains.record_success(session, domain, self.clock.now())

    async def close(self) -> None:
        await self.client.aclose()

    async def instance_auth(self) -> HttpSignatureAuth:
        """Signs fetches as the instance actor (authorized-fetch servers refuse unsigned GETs)."""
        if None not in self._auths:
            async with self.sessions() as session:
                _, key = await instance_key(session, self.urls)
            assert key.private_pem is not None
            self._auths[None] = HttpSignatureAuth(key.key_id, key.private_pem, self.clock.now)
        return self._auths[None]

    async def auth_for(self, actor: Actor) -> HttpSignatureAuth:
        """Signs deliveries as a member."""
        assert actor.id is not None
        if actor.id not in self._auths:
            async with self.sessions() as session:
                key = await local_key(session, self.urls, actor)
            assert key.private_pem is not None
            if len(self._auths) > 1000:
                self._auths.clear()
            self._auths[actor.id] = HttpSignatureAuth(key.key_id, key.private_pem, self.clock.now)
        return self._auths[actor.id]

    async def auth_for_id(self, actor_id: int) -> HttpSignatureAuth | None:
        """Signs as the member with this actor id; None if there is no such actor."""
        if actor_id in self._auths:
            return self._auths[actor_id]
        async with self.sessions() as session:
            actor = await session.get(Actor, actor_id)
        return await self.auth_for(actor) if actor is not None else None

    async def fetch(self, url: str, *, as_member: Actor | None = None) -> dict[str, Any]:
        """A signed GET of a remote object, trusted only as its own server serves it
        (federation.origins); signed as the instance actor, or as `as_member` where
        only someone allowed to see the object may read it."""
        auth = await (self.auth_for(as_member) if as_member else self.instance_auth())
        return await fetch_object(self.client, url, auth, self._blocked)

    async def _blocked(self, uri: str) -> bool:
        async with self.sessions() as session:
            return await self.blocks(session, uri)
