"""CORS for browser apps (Elk, Phanpy): the client API and OAuth's JSON endpoints only.

Tokens travel in headers, never cookies, so any origin may call; the web UI's own
pages and forms stay same-origin. server/web/front.py applies it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

PATHS = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server")


async def _unused(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("only the policy of this middleware is used")


#: Starlette's CORS policy, used for its preflight answers and its simple headers.
_POLICY = CORSMiddleware(
    _unused,
    allow_origins=["*"],
    allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allow_headers=["*"],
    # Apps page with Link and pace themselves with the rate-limit headers.
    expose_headers=["Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    max_age=86400,
)
_SIMPLE = [(k.lower().encode(), v.encode()) for k, v in _POLICY.simple_headers.items()]


def preflight(request_headers: Headers) -> Response:
    """The answer to a browser's preflight OPTIONS (any origin, the methods above)."""
    return _POLICY.preflight_response(request_headers=request_headers)


def add_cors_headers(headers: list[tuple[bytes, bytes]], origin: bool) -> None:
    """Allow any origin to read the answer (`origin`: the request named one), and say
    that the answer varies by Origin, as Starlette's CORSMiddleware does."""
    if origin:
        simple = {name for name, _ in _SIMPLE}
        headers[:] = [(n, v) for n, v in headers if n not in simple] + _SIMPLE
    vary = [v for n, v in headers if n == b"vary"]
    if vary:
        headers[:] = [(n, v) for n, v in headers if n != b"vary"]
    headers.append((b"vary", b", ".join([*vary, b"Origin"])))
