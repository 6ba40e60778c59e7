"""Refuse request bodies over the configured size with 413 before reading them all."""

from __future__ import annotations

import logging

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.json_response import JSONResponse

log = logging.getLogger(__name__)


class TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a Content-Length over the limit is refused at once; a body that
    streams past it is cut off and refused too."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.startswith(b"multipart/form-data"):
                return self.max_upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except TooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
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
