"""The front door (server/web/front.py): one layer refuses bad addresses and oversized
bodies, adds CORS on the client API and the security headers everywhere; the cookie
session is read and written for web pages only, never for the API or the inboxes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.config import Settings
from tests.api.test_grant_cache import api, token_for
from tests.conftest import Person

ELK = "https://elk.example"


async def test_a_signed_in_browser_calling_the_api_is_not_signed_in_by_its_cookie(
    app: Starlette, people: dict[str, Person]
) -> None:
    """Ana's browser holds her session cookie. The API neither accepts it as a grant nor
    reads or rewrites it: apps speak with tokens. Her pages still know her."""
    ana = people["ana"]
    answer = await ana.client.get("/api/v1/accounts/verify_credentials")
    assert answer.status_code == 401
    assert answer.json() == {"error": "The access token is invalid"}
    assert "set-cookie" not in answer.headers
    assert "cookie" not in answer.headers.get("vary", "").lower()
    home = await ana.client.get("/")
    assert home.status_code == 200 and "@ana" in home.text


async def test_api_answers_carry_cors_and_security_headers(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Elk, on another origin, reads Ana's account: the answer allows any origin, exposes
    the paging header, varies by Origin and is nosniff; a page stays same-origin."""
    async with api(app, await token_for(app, "ana", clock)) as elk:
        answer = await elk.get("/api/v1/accounts/verify_credentials", headers={"Origin": ELK})
        plain = await elk.get("/api/v1/accounts/verify_credentials")
        missing = await elk.get("/api/v1/nowhere", headers={"Origin": ELK})
    assert answer.status_code == 200 and answer.json()["username"] == "ana"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "link" in answer.headers["access-control-expose-headers"].lower()
    for found in (answer, plain, missing):
        assert found.headers["vary"] == "Origin"
        assert found.headers["x-content-type-options"] == "nosniff"
        assert found.headers["referrer-policy"] == "same-origin"
        assert "content-security-policy" not in found.headers  # not a page
    assert "access-control-allow-origin" not in plain.headers
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"
    page = await people["ana"].client.get("/", headers={"Origin": ELK})
    assert "access-control-allow-origin" not in page.headers
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_preflight_is_answered_for_the_api_only(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    asking = {"Origin": ELK, "Access-Control-Request-Method": "POST"}
    preflight = await visitor.options("/api/v1/statuses", headers=asking)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["x-content-type-options"] == "nosniff"
    page = await visitor.options("/login", headers=asking)
    assert "access-control-allow-origin" not in page.headers


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65_536 + 1):
        yield b"x" * 65_536


async def test_a_body_streamed_past_the_limit_is_cut_off_with_413_on_api_and_web(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], settings: Settings
) -> None:
    """A body sent without a length (chunked) is counted as it comes and refused once it
    passes the limit, in Mastodon's shape on the API and with the usual headers."""
    async with api(app, await token_for(app, "ana", clock)) as elk:
        answer = await elk.post(
            "/api/v1/statuses",
            content=_chunks(settings.max_body_bytes),
            headers={"Origin": ELK, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 413
        assert "too large" in answer.json()["error"]
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert (await elk.get("/api/v1/accounts/verify_credentials")).status_code == 200
    page = await people["ana"].client.post(
        "/posts",
        content=_chunks(settings.max_body_bytes),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413 and "too large" in page.text


async def test_a_websocket_address_with_control_characters_is_closed(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    """The refusal of control characters covers every door: a page, the API, and the
    streaming API's websocket (closed with 1008 before any route)."""
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/api/v1/streaming\x00",
        "raw_path": b"/api/v1/streaming%00",
        "query_string": b"",
        "headers": [],
        "app": app,
    }
    await app(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "Bad address"}]
    for path in ("/api/v1/accounts/lookup?acct=ana%00", "/tags/a%00b"):
        assert (await visitor.get(path)).status_code == 400, path
