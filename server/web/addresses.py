"""Refuse request addresses whose path or query holds control characters, for every door.

Path and query parameters (profile names, tags, search terms, paging ids, WebFinger's
`resource`) reach database lookups from many routes; a percent-encoded NUL in any of
them made PostgreSQL fail the request. No address Porch makes or reads holds one, so
the request is refused with 400 before any route sees it (server/web/front.py). Bodies are cleaned where they
are parsed instead (server.web.forms, server.api.mastodon.params).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_to_bytes

from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from server.json_response import JSONResponse
from server.text import CONTROL_BYTES

log = logging.getLogger(__name__)

MESSAGE = (
    "This address holds a control character (such as %00), which no page or resource "
    "on Porch has. Check the link and try again."
)


_PATH_CONTROLS = re.compile("[\x00-\x1f\x7f]")


def has_controls(scope: Scope) -> bool:
    """Whether the path or the query holds a control character."""
    # No path holds even a tab or a newline; a query may (a search pasted from a text).
    if _PATH_CONTROLS.search(str(scope.get("path", ""))):
        return True
    query = scope.get("query_string", b"")
    return bool(query) and CONTROL_BYTES.search(unquote_to_bytes(query)) is not None


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request whose address holds control characters: 400 (a page's text for
    browsers, Mastodon's error shape otherwise), or a closed websocket."""
    log.info("refused an address with control characters: %r", scope.get("path"))
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "Bad address"})
        return
    response: Response
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    if b"text/html" in accept:
        response = PlainTextResponse(MESSAGE, status_code=400)
    else:
        response = JSONResponse({"error": MESSAGE}, status_code=400)
    await response(scope, receive, send)
