"""The federation side of a running instance: its client, its keys, its URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from federation.fetch import FetchPolicy, fetch_json, make_client
from federation.keys import instance_key, local_key
from federation.signatures import HttpSignatureAuth
from federation.urls import Urls
from server import __version__
from server.clock import Clock
from server.config import Settings
from server.db import Sessions
from server.models import Actor

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

    @classmethod
    def create(
        cls,
        settings: Settings,
        sessions: Sessions,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Federation:
        """`transport` replaces the network (tests route hosts to in-process apps)."""
        allowed = frozenset(
            h.strip().lower() for h in settings.federation_allow_private.split(",") if h.strip()
        )
        policy = FetchPolicy(
            user_agent=f"Porch/{__version__} (+{settings.base_url}/)",
            allow_private_hosts=allowed,
            verify=settings.federation_ssl_context(),
        )
        urls = Urls(settings.base_url)
        return cls(settings, sessions, clock, urls, make_client(policy, transport))

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

    async def fetch(self, url: str) -> dict[str, Any]:
        """A signed GET of an ActivityStreams document."""
        return await fetch_json(self.client, url, await self.instance_auth())
