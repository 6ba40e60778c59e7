"""The front door: one pure ASGI layer doing what every request needs before a route.

It refuses addresses with control characters (server/web/addresses.py) and bodies over
the limit (server/web/bodylimit.py), answers CORS preflights and adds CORS headers on
the client API (server/api/mastodon/cors.py), and adds the security headers to every
answer (server/web/headers.py), all through a single wrapper of `send`. Web pages are
handed on through `web` (the signed session cookie and the profile aliases); the client
API, OAuth's JSON endpoints and the inboxes go straight to the routes: they never read
a cookie session (apps authenticate with tokens, servers with signatures) and never set
one, so nothing unpacks or re-signs a cookie for them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.mastodon import cors
from server.web import addresses, bodylimit
from server.web.headers import add_security_headers

#: Paths that never read or set the cookie session: the client API and OAuth's JSON
#: endpoints (those CORS covers), and the ActivityPub inboxes (path ending "/inbox").
SESSIONLESS = cors.PATHS


def sessionless(path: str) -> bool:
    """Whether requests to `path` go to the routes without the cookie session."""
    return path.startswith(SESSIONLESS) or path.endswith("/inbox")


class Front:
    """ASGI middleware (see the module docstring); `web` wraps the app for web pages."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        https: bool,
        max_bytes: int,
        max_upload_bytes: int,
        web: Callable[[ASGIApp], ASGIApp],
    ) -> None:
        self.app = app
        self.web = web(app)
        self.https = https
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        inner = self.app if sessionless(path) else self.web
        if kind != "http":  # a websocket: only its address is checked
            if addresses.has_controls(scope):
                await addresses.refuse(scope, receive, send)
            else:
                await inner(scope, receive, send)
            return
        origin = preflight = chunked = multipart = False
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = True
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                multipart = value.startswith(b"multipart/form-data")
            elif name == b"access-control-request-method":
                preflight = True
        api = path.startswith(cors.PATHS)
        https = self.https or scope.get("scheme") == "https"
        started = False

        async def headed(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(n.lower(), v) for n, v in message.get("headers", ())]
                if api:
                    cors.add_cors_headers(headers, origin)
                add_security_headers(headers, {n for n, _ in headers}, path, https=https)
                message["headers"] = headers
            await send(message)

        if addresses.has_controls(scope):
            await addresses.refuse(scope, receive, headed)
            return
        if api and preflight and origin and scope["method"] == "OPTIONS":
            await cors.preflight(Headers(scope=scope))(scope, receive, headed)
            return
        limit = self.max_upload_bytes if multipart else self.max_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            await bodylimit.refuse(scope, receive, headed, limit)
            return
        if chunked or (length is not None and length != b"0"):
            receive = bodylimit.counted(receive, limit)
        try:
            await inner(scope, receive, headed)
        except bodylimit.TooLarge:
            if not started:
                await bodylimit.refuse(scope, receive, headed, limit)
