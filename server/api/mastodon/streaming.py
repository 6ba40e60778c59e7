"""Streaming: Mastodon's user, public, hashtag and list streams, over WebSocket and SSE.

Each connection looks every few seconds, with a fresh session each time: first whether
its token still holds (not revoked, its member not suspended; the stream closes
otherwise), then what appeared since it last looked (`update`), what went out of sight
(`delete`) and new notifications (`notification`), as stream_news.py tells. This works
the same with one web process or many, with or without Redis; a community's handful of
open apps costs a few small queries a second, and stream_limits.py caps what one token
or address may hold open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.api.mastodon import stream_limits
from server.api.mastodon.context import Call, bearer_token, error
from server.api.mastodon.params import Params
from server.api.mastodon.stream_news import Refused, Subscription, news, subscription
from server.services import oauth_tokens
from server.services.errors import ServiceError
from server.services.oauth_tokens import Grant

log = logging.getLogger(__name__)

#: How often a connection looks for news, and how often an idle SSE stream says it lives.
POLL_SECONDS = 2.0
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


class Ended(Exception):
    """The grant behind an open stream no longer holds: the token was revoked, or its
    member suspended. The stream closes with this message."""

    MESSAGE = "The access token was revoked or its account can no longer sign in"


Looked = list[tuple[Subscription, list[tuple[str, str]] | None]]


async def _look(connection: HTTPConnection, token: str, subs: list[Subscription]) -> Looked:
    """Check the grant again, then what changed for each subscription (None for one
    whose list was deleted meanwhile).

    The grant is read from the database on every look, so a token revoked or a member
    suspended by any process stops the stream before anything more is sent, even on a
    connection that is idle.
    """
    async with connection.app.state.sessions() as session:
        grant = await oauth_tokens.authenticate(session, token, connection.app.state.clock.now())
        if grant is None:
            raise Ended(Ended.MESSAGE)
        call = Call(connection, session, Params(), grant)  # type: ignore[arg-type]
        found: Looked = []
        for sub in list(subs):  # the reader may change the list meanwhile
            try:
                found.append((sub, await news(call, sub)))
            except ServiceError:
                found.append((sub, None))
        return found


def _address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


class _HeldStream(StreamingResponse):
    """An event stream that gives back its connection slot however it ends."""

    def __init__(self, events: AsyncIterator[str], release: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self.release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


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
        if (await _look(request, token, [sub]))[0][1] is None:  # note what is there now
            raise Refused(404, "Record not found")
        refusal = slots.open(grant.token_id, address)
        if refusal is None and (refusal := slots.subscribe(address, 0)) is not None:
            slots.close(grant.token_id, address)
        if refusal is not None:
            raise Refused(429, refusal)
    except (Refused, ServiceError) as exc:
        return error(exc.status, exc.message)
    except Ended as exc:
        return error(401, str(exc))

    async def events() -> AsyncIterator[str]:
        yield ":)\n\n"
        quiet = 0.0
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                return  # the app went away: give its slot back now, not at the next write
            try:
                found = (await _look(request, token, [sub]))[0][1]
            except Ended as exc:
                found, ended = None, str(exc)
            else:
                ended = "The list was deleted"
            if found is None:
                yield f"event: error\ndata: {json.dumps({'error': ended})}\n\n"
                return
            for event, payload in found:
                yield f"event: {event}\ndata: {payload}\n\n"
            quiet = 0.0 if found else quiet + POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                yield ":thump\n\n"
                quiet = 0.0

    return _HeldStream(events(), lambda: slots.close(grant.token_id, address, 1))


#: WebSocket close codes are 4000 + the HTTP status that says why.
CLOSE_UNAUTHORIZED = 4001


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
    try:
        await socket.accept(subprotocol=protocol)
        first = socket.query_params.get("stream")
        if first:
            await _subscribe(socket, grant, subs, {"stream": first, **socket.query_params})
        reader = asyncio.create_task(_read(socket, grant, subs))
        try:
            while not reader.done():
                for sub, found in await _look(socket, token, subs):
                    if found is None:
                        _drop(socket, subs, [sub])
                        continue
                    for event, payload in found:
                        message = {"stream": sub.name, "event": event, "payload": payload}
                        await socket.send_json(message)
                await asyncio.wait({reader}, timeout=POLL_SECONDS)
        except Ended as exc:
            await socket.close(code=CLOSE_UNAUTHORIZED, reason=str(exc))
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await reader
    except (WebSocketDisconnect, RuntimeError):
        pass  # the app went away
    finally:
        slots.close(grant.token_id, address, len(subs))


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
            async with socket.app.state.sessions() as session:
                call = Call(socket, session, Params(), grant)  # type: ignore[arg-type]
                await news(call, sub)  # note what is there now
        except ServiceError:
            stream_limits.slots(socket.app).unsubscribe(_address(socket))
            raise
        subs.append(sub)
    except (Refused, ServiceError) as exc:
        await socket.send_json({"error": exc.message, "status": exc.status})
