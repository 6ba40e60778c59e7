"""Streaming: Mastodon's user, public, hashtag and list streams, over WebSocket and SSE.

A connection joins the process's stream hub (stream_hub.py) and waits for what the hub
puts on its queue: `update`, `status.update`, `delete` and `notification` events as
changes are committed, in this process or (through Redis) any other. It costs nothing
while nothing happens but a heartbeat; the hub closes it when its access ends.
stream_limits.py caps what one token or address may hold open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.api.mastodon import stream_limits
from server.api.mastodon.context import bearer_token, error
from server.api.mastodon.stream_hub import Connection, End, Message, hub
from server.api.mastodon.stream_subscriptions import Refused, Subscription, subscription
from server.services import lists, oauth_tokens
from server.services.errors import ServiceError
from server.services.oauth_tokens import Grant

log = logging.getLogger(__name__)

#: How often an idle SSE stream says it lives (as Mastodon's streaming server does;
#: WebSockets are pinged by uvicorn, every 20 s by default).
HEARTBEAT_SECONDS = 15.0
#: SSE paths (/api/v1/streaming/<path>) and the streams they carry.
SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
}


def _token(connection: HTTPConnection) -> str:
    token = bearer_token(connection)
    if token is None:
        # Browsers cannot set headers on a WebSocket: Mastodon reads this one instead.
        token = connection.headers.get("sec-websocket-protocol") or None
    if token is None:
        raise Refused(401, "Missing access token")
    return token


async def _grant(connection: HTTPConnection, token: str) -> Grant:
    async with connection.app.state.sessions() as session:
        grant = await oauth_tokens.authenticate(session, token, connection.app.state.clock.now())
    if grant is None:
        raise Refused(401, "Invalid access token")
    return grant


def _address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


class _HeldStream(StreamingResponse):
    """An event stream that gives back its connection slot however it ends."""

    def __init__(self, events: AsyncIterator[str], release: Callable[[], Awaitable[None]]) -> None:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self.release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.release()


async def sse(request: Request) -> Response:
    """GET /api/v1/streaming/<stream>: server-sent events."""
    stream = SSE_PATHS.get(str(request.path_params["stream"]))
    slots = stream_limits.slots(request.app)
    address = _address(request)
    try:
        token = _token(request)
        grant = await _grant(request, token)
        if stream is None:
            raise Refused(404, "Unknown stream")
        sub = subscription(
            grant, stream, request.query_params.get("tag"), request.query_params.get("list")
        )
        await _check_list(request, grant, sub)
        refusal = slots.open(grant.token_id, address)
        if refusal is None and (refusal := slots.subscribe(address, 0)) is not None:
            slots.close(grant.token_id, address)
        if refusal is not None:
            raise Refused(429, refusal)
    except (Refused, ServiceError) as exc:
        return error(exc.status, exc.message)
    streams = hub(request.app)
    connection = streams.join(grant, [sub])

    async def events() -> AsyncIterator[str]:
        yield ":)\n\n"
        while True:
            item = await connection.get(HEARTBEAT_SECONDS)
            if item is None:
                yield ":thump\n\n"
            elif isinstance(item, End):
                yield f"event: error\ndata: {json.dumps({'error': item.reason})}\n\n"
                return
            else:
                yield f"event: {item.event}\ndata: {item.payload}\n\n"

    async def release() -> None:
        await streams.leave(connection)
        slots.close(grant.token_id, address, 1)

    return _HeldStream(events(), release)


async def _check_list(connection: HTTPConnection, grant: Grant, sub: Subscription) -> None:
    """A list stream is its owner's alone: NotFound for anyone else's list."""
    if sub.list_id is not None and grant.actor_id is not None:
        async with connection.app.state.sessions() as session:
            await lists.own(session, grant.actor_id, sub.list_id)


async def _refuse(socket: WebSocket, status: int, message: str) -> None:
    """Refuse a WebSocket before accepting it: an HTTP answer with Mastodon's error body
    where the server can send one, a close code otherwise."""
    try:
        await socket.send_denial_response(error(status, message))
    except RuntimeError:
        await socket.close(code=4000 + status, reason=message)


async def websocket(socket: WebSocket) -> None:
    """GET /api/v1/streaming (WebSocket): `stream` in the URL, and subscribe/unsubscribe
    messages from the app."""
    try:
        token = _token(socket)
        grant = await _grant(socket, token)
    except Refused as exc:
        await _refuse(socket, exc.status, exc.message)
        return
    slots = stream_limits.slots(socket.app)
    address = _address(socket)
    refusal = slots.open(grant.token_id, address)
    if refusal is not None:
        await _refuse(socket, 429, refusal)
        return
    protocol = socket.headers.get("sec-websocket-protocol")
    subs: list[Subscription] = []
    streams = hub(socket.app)
    try:
        await socket.accept(subprotocol=protocol)
        first = socket.query_params.get("stream")
        if first:
            await _subscribe(socket, grant, subs, {"stream": first, **socket.query_params})
        connection = streams.join(grant, subs)
        reader = asyncio.create_task(_read(socket, grant, subs))
        try:
            await _send(socket, connection, reader)
        finally:
            await streams.leave(connection)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await reader
    except (WebSocketDisconnect, RuntimeError):
        pass  # the app went away
    finally:
        slots.close(grant.token_id, address, len(subs))


async def _send(socket: WebSocket, connection: Connection, reader: asyncio.Task[None]) -> None:
    """Send what the hub has for this connection until the app leaves or the hub ends it."""
    while not reader.done():
        waiting = asyncio.ensure_future(connection.get(None))
        await asyncio.wait({reader, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            return
        item = waiting.result()
        if isinstance(item, End):
            await socket.close(code=item.code, reason=item.reason)
            return
        if isinstance(item, Message):
            message = {"stream": item.stream, "event": item.event, "payload": item.payload}
            await socket.send_json(message)


async def _read(socket: WebSocket, grant: Grant, subs: list[Subscription]) -> None:
    while True:
        try:
            message = await socket.receive_json()
        except (ValueError, KeyError):
            await socket.send_json({"error": "Messages must be JSON objects"})
            continue
        if not isinstance(message, dict):
            continue
        if message.get("type") == "subscribe":
            await _subscribe(socket, grant, subs, message)
        elif message.get("type") == "unsubscribe":
            try:
                gone = subscription(
                    grant,
                    str(message.get("stream")),
                    message.get("tag"),
                    _text(message.get("list")),
                )
            except Refused:
                continue
            _drop(socket, subs, [s for s in subs if s.same(gone)])


def _drop(socket: WebSocket, subs: list[Subscription], gone: list[Subscription]) -> None:
    """Stop following `gone` and give their subscriptions back."""
    slots = stream_limits.slots(socket.app)
    for sub in gone:
        if any(s is sub for s in subs):
            subs[:] = [s for s in subs if s is not sub]
            slots.unsubscribe(_address(socket))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


async def _subscribe(
    socket: WebSocket, grant: Grant, subs: list[Subscription], message: Any
) -> None:
    try:
        sub = subscription(
            grant, str(message.get("stream")), message.get("tag"), _text(message.get("list"))
        )
        if any(s.same(sub) for s in subs):
            return
        refusal = stream_limits.slots(socket.app).subscribe(_address(socket), len(subs))
        if refusal is not None:
            raise Refused(429, refusal)
        try:
            await _check_list(socket, grant, sub)
        except ServiceError:
            stream_limits.slots(socket.app).unsubscribe(_address(socket))
            raise
        subs.append(sub)
    except (Refused, ServiceError) as exc:
        await socket.send_json({"error": exc.message, "status": exc.status})
