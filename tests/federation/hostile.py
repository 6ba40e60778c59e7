"""A hostile server for federation tests: it serves whatever documents a test gives it,
redirects where told, and signs deliveries as its own member, Mallory."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.signatures import HttpSignatureAuth, KeyPair
from server.clock import Clock

AS2 = "application/activity+json"


class HostileServer:
    """Serves `documents` (by URL, on any host it is routed) as they are, however
    forged; `redirects` answer 302; every GET is recorded in `fetched`."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.key = KeyPair.generate()
        self.documents: dict[str, dict[str, Any]] = {}
        self.redirects: dict[str, str] = {}
        self.fetched: list[str] = []
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET"])])
        self.serve(self.mallory_document())

    @property
    def mallory(self) -> str:
        return f"https://{self.domain}/users/mallory"

    def mallory_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": self.mallory,
            "type": "Person",
            "preferredUsername": "mallory",
            "inbox": self.mallory + "/inbox",
            "publicKey": {
                "id": self.mallory + "#main-key",
                "owner": self.mallory,
                "publicKeyPem": self.key.public_pem,
            },
        }

    def serve(self, document: dict[str, Any], at: str | None = None) -> str:
        """Serve `document` at `at` (by default at the id it claims); returns the URL."""
        url = at or document["id"]
        self.documents[url] = document
        return url

    async def _handle(self, request: Request) -> Response:
        url = f"https://{request.url.hostname}{request.url.path}"
        self.fetched.append(url)
        if url in self.redirects:
            return RedirectResponse(self.redirects[url], 302)
        if url in self.documents:
            return Response(json.dumps(self.documents[url]), media_type=AS2)
        return Response(status_code=404)

    async def deliver(
        self, client: httpx.AsyncClient, activity: dict[str, Any], clock: Clock
    ) -> httpx.Response:
        """POST `activity` to the shared inbox behind `client`, signed by Mallory."""
        request = client.build_request(
            "POST", "/inbox", content=json.dumps(activity).encode(), headers={"Content-Type": AS2}
        )
        auth = HttpSignatureAuth(self.mallory + "#main-key", self.key.private_pem, clock.now)
        return await client.send(next(auth.auth_flow(request)))
