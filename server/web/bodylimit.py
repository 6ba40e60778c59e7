"""Refuse request bodies over the configured size with 413 before reading them all.

server/web/front.py refuses a Content-Length over the limit at once, and counts a body
that streams in (chunked) through `counted`, cutting it off past the limit.
"""

from __future__ import annotations

import logging

from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from server.json_response import JSONResponse

log = logging.getLogger(__name__)


class TooLarge(Exception):
    """A streamed body went past the limit."""


def counted(receive: Receive, limit: int) -> Receive:
    """`receive`, raising TooLarge once the body read goes past `limit` bytes."""
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
        return message

    return counting_receive


async def refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """The 413 answer, in Mastodon's shape on the client API."""
    log.warning("refused a body over %d bytes for %s", limit, scope.get("path"))
    megabytes = limit / 1_048_576
    message = (
        f"That request is too large: the limit is {megabytes:.1f} MB. "
        "Make it smaller and try again."
    )
    response: Response = PlainTextResponse(message, status_code=413)
    if str(scope.get("path", "")).startswith("/api/"):
        response = JSONResponse({"error": message}, status_code=413)  # Mastodon's shape
    await response(scope, receive, send)
