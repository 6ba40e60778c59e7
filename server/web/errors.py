"""Error pages: every refusal is a page with a message a person can act on."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import cast

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler
from starlette.websockets import WebSocket

from server.db import unavailable
from server.json_response import JSONResponse
from server.services.errors import RateLimited, ServiceError
from server.web.context import db, redirect, render, viewer

log = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    404: "There is nothing at this address. It may have been deleted, or the link may be wrong.",
    405: "This page does not accept that kind of request.",
}

#: How long to tell browsers, apps and other servers to wait while the database is away.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Porch cannot reach its database just now. Nothing was lost; try again shortly."


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    # Apps get Mastodon's error shape whatever they accept; servers posting activities
    # (to an inbox) get JSON too.
    return (
        ("json" in accept and "text/html" not in accept)
        or "activity+json" in content_type
        or "ld+json" in content_type
        or request.url.path.startswith(("/api/", "/oauth/token", "/oauth/revoke"))
        or request.url.path.endswith("/inbox")
    )


async def _page(request: Request, status: int, message: str) -> Response:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    context = {"status": status, "title": title, "message": message}
    # The page keeps the signed-in member's navigation, so a 404 does not look like a log-out;
    # without the database it is still a page.
    try:
        async with db(request) as session:
            me = await viewer(request, session)
            return await render(request, session, "error.html", context, status=status, me=me)
    except Exception as error:
        if not unavailable(error):
            raise
        return await render(request, None, "error.html", context, status=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    accept = request.headers.get("accept", "")
    # People are sent to log in; servers and apps asking for JSON get the 401 itself.
    if exc.status_code == 401 and request.method == "GET" and "json" not in accept:
        return redirect(f"/login?next={request.url.path}")
    message = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else ""
    fallback = DEFAULT_MESSAGES.get(exc.status_code, "Something went wrong with that request.")
    message = message or fallback
    if exc.status_code >= 400 and exc.status_code != 404:
        log.info("%s %s -> %s: %s", request.method, request.url.path, exc.status_code, message)
    return await _page(request, exc.status_code, message)


async def service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    log.info("%s %s refused: %s", request.method, request.url.path, exc.message)
    response = await _page(request, exc.status, exc.message)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _database_unavailable(request: Request | WebSocket, exc: Exception) -> Response | None:
    """503 with Retry-After while the database is away or busy, so people, apps and
    other servers try again (Mastodon retries a 503 delivery later); anything else that
    reaches here is a fault, raised on to the 500 handler."""
    if not unavailable(exc):
        raise exc
    log.warning("%s -> 503: database unavailable: %r", request.url.path, exc)
    if isinstance(request, WebSocket):  # a streaming app: "try again later"
        await request.close(code=1013)
        return None
    response = await _page(request, 503, UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


#: Registered for both HTTP and websockets: Starlette sends the response it returns and
#: nothing for None (a websocket), which its `ExceptionHandler` type does not spell.
database_unavailable = cast(ExceptionHandler, _database_unavailable)
