"""CORS for browser apps (Elk, Phanpy): the client API and OAuth's JSON endpoints only.

Tokens travel in headers, never cookies, so any origin may call; the web UI's own
pages and forms stay same-origin.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PATHS = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server")


class ApiCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            # Apps page with Link and pace themselves with the rate-limit headers.
            expose_headers=[
                "Link",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ],
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PATHS):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
