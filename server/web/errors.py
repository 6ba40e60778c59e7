"""Error pages: every refusal is a page with a message a person can act on."""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.services.errors import RateLimited, ServiceError
from server.web.context import db, redirect, render, viewer

log = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    404: "There is nothing at this address. It may have been deleted, or the link may be wrong.",
    405: "This page does not accept that kind of request.",
}


async def _page(request: Request, status: int, message: str) -> Response:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    accept = request.headers.get("accept", "")
    # Apps get Mastodon's error shape whatever they accept.
    wants_json = "json" in accept and "text/html" not in accept
    if wants_json or request.url.path.startswith(("/api/", "/oauth/token", "/oauth/revoke")):
        return JSONResponse({"error": message}, status_code=status)
    context = {"status": status, "title": title, "message": message}
    # The page keeps the signed-in member's navigation, so a 404 does not look like a log-out.
    async with db(request) as session:
        me = await viewer(request, session)
        return await render(request, session, "error.html", context, status=status, me=me)


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
