"""Streaming: Mastodon's user, public, hashtag and list streams, over WebSocket and SSE.

Each connection looks at its timelines every few seconds, with a fresh session each
time, and sends what appeared since it last looked (`update`), what went out of sight
(`delete`) and new notifications (`notification`). Reading the timelines themselves
keeps every visibility rule in one place (the services) and works the same with one
web process or many, with or without Redis; a community's handful of open apps costs a
few small queries a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.api.mastodon import render
from server.api.mastodon.context import Call, bearer_token, error
from server.api.mastodon.params import Params, as_id
from server.services import lists, notifications, oauth, timelines
from server.services.errors import ServiceError
from server.services.oauth import Grant
from server.services.paging import Window
from server.services.timelines import Page

log = logging.getLogger(__name__)

#: How often a connection looks for news, and how often an idle SSE stream says it lives.
POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0
#: How many of a timeline's newest posts are compared between looks.
DEPTH = 40

PUBLIC = {
    "public": (False, False, False),
    "public:media": (False, False, True),
    "public:local": (True, False, False),
    "public:local:media": (True, False, True),
    "public:remote": (False, True, False),
    "public:remote:media": (False, True, True),
}
STREAMS = {"user", "user:notification", "hashtag", "hashtag:local", "list", *PUBLIC}
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


@dataclass
class Subscription:
    """One stream a connection follows, and what it has already told the app."""

    stream: str
    tag: str | None = None
    list_id: int | None = None
    shown: list[int] = field(default_factory=list)
    last_notification: int | None = None
    primed: bool = False

    @property
    def name(self) -> list[str]:
        """The `stream` field of WebSocket messages, as Mastodon writes it."""
        if self.tag is not None:
            return [self.stream, self.tag]
        if self.list_id is not None:
            return [self.stream, str(self.list_id)]
        return [self.stream]

    def same(self, other: Subscription) -> bool:
        return self.name == other.name


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def subscription(grant: Grant, stream: str, tag: str | None, list_id: str | None) -> Subscription:
    """A checked subscription request; Refused with Mastodon's reasons otherwise."""
    if stream not in STREAMS:
        raise Refused(400, f"Unknown stream type: {stream}")
    if (stream.startswith("user") or stream == "list") and grant.actor is None:
        raise Refused(401, "This stream requires an authenticated user")
    wanted = "read:notifications" if stream == "user:notification" else "read:statuses"
    if not grant.allows(wanted):
        raise Refused(401, "Access token does not have the required scopes")
    found = Subscription(stream)
    if stream.startswith("hashtag"):
        found.tag = (tag or "").lstrip("#").lower()
        if not found.tag or len(found.tag) > 100:
            raise Refused(400, "A hashtag stream needs a tag")
    if stream == "list":
        if list_id == "conversations":
            raise Refused(
                400, "Conversations is ranked, so it has no live stream: read it again instead"
            )
        found.list_id = as_id(list_id)
        if found.list_id is None:
            raise Refused(400, "A list stream needs a list id")
    return found


async def _newest(call: Call, sub: Subscription) -> Page | None:
    window = Window(limit=DEPTH)
    if sub.stream == "user":
        return await timelines.home(call.session, call.actor, call.now, window)
    if sub.stream in PUBLIC:
        local, remote, media = PUBLIC[sub.stream]
        return await timelines.public(
            call.session,
            call.viewer_id,
            window,
            local_only=local,
            remote_only=remote,
            only_media=media,
        )
    if sub.tag is not None:
        page = await timelines.tagged(call.session, call.viewer_id, sub.tag, window)
        if sub.stream == "hashtag:local":
            page.items = [v for v in page.items if v.author.domain is None]
        return page
    if sub.list_id is not None:
        assert call.actor.id is not None
        chosen = await lists.own(call.session, call.actor.id, sub.list_id)
        return await timelines.of_list(call.session, call.actor, chosen, window)
    return None


async def news(call: Call, sub: Subscription) -> list[tuple[str, str]]:
    """(event, payload) pairs for what changed since the subscription last looked.

    The first look only notes what is there: apps load the timeline themselves and
    want the stream for what comes after.
    """
    events: list[tuple[str, str]] = []
    page = await _newest(call, sub)
    if page is not None:
        # Only published posts stream; an author sees their pending post when it goes out.
        items = [v for v in page.items if v.post.state == "published"]
        ids = [v.post.id for v in items]
        if sub.primed:
            known = set(sub.shown)
            fresh = [v for v in items if v.post.id not in known]
            # A post missing from the page went out of sight (deleted, its author muted or
            # unfollowed), unless it merely slid below the bottom of a full page.
            present, full = set(ids), len(ids) >= DEPTH
            gone = [i for i in sub.shown if i not in present and not (full and i < min(ids))]
            events += [("delete", str(i)) for i in gone]
            for entity in reversed(await render.statuses(call, fresh)):
                events.append(("update", json.dumps(entity)))
        sub.shown = ids
    if sub.stream in ("user", "user:notification"):
        assert call.actor.id is not None
        if sub.primed:
            window = Window(limit=DEPTH, min_id=sub.last_notification or 0)
            found = await notifications.for_member(call.session, call.actor.id, window)
            for entity in reversed(await render.notifications(call, found)):
                events.append(("notification", json.dumps(entity)))
            if found:
                sub.last_notification = max(n.notification.id or 0 for n in found)
        else:
            latest = await notifications.for_member(call.session, call.actor.id, Window(limit=1))
            sub.last_notification = latest[0].notification.id if latest else 0
    sub.primed = True
    return events


async def _grant(connection: HTTPConnection) -> Grant:
    token = bearer_token(connection)
    if token is None:
        # Browsers cannot set headers on a WebSocket: Mastodon reads this one instead.
        token = connection.headers.get("sec-websocket-protocol") or None
    if token is None:
        raise Refused(401, "Missing access token")
    async with connection.app.state.sessions() as session:
        grant = await oauth.authenticate(session, token, connection.app.state.clock.now())
    if grant is None:
        raise Refused(401, "Invalid access token")
    return grant


async def _look(
    connection: HTTPConnection, grant: Grant, sub: Subscription
) -> list[tuple[str, str]]:
    async with connection.app.state.sessions() as session:
        call = Call(connection, session, Params(), grant)  # type: ignore[arg-type]
        return await news(call, sub)


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def sse(request: Request) -> Response:
    """GET /api/v1/streaming/<stream>: server-sent events."""
    stream = SSE_PATHS.get(str(request.path_params["stream"]))
    try:
        grant = await _grant(request)
        if stream is None:
            raise Refused(404, "Unknown stream")
        sub = subscription(
            grant, stream, request.query_params.get("tag"), request.query_params.get("list")
        )
        await _look(request, grant, sub)  # note what is there now
    except (Refused, ServiceError) as exc:
        status = exc.status
        return error(status, exc.message)

    async def events() -> AsyncIterator[str]:
        yield ":)\n\n"
        quiet = 0.0
        while True:
            await asyncio.sleep(POLL_SECONDS)
            found = await _look(request, grant, sub)
            for event, payload in found:
                yield f"event: {event}\ndata: {payload}\n\n"
            quiet = 0.0 if found else quiet + POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                yield ":thump\n\n"
                quiet = 0.0

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


async def websocket(socket: WebSocket) -> None:
    """GET /api/v1/streaming (WebSocket): `stream` in the URL, and subscribe/unsubscribe
    messages from the app."""
    try:
        grant = await _grant(socket)
    except Refused as exc:
        await socket.close(code=4001, reason=exc.message)
        return
    protocol = socket.headers.get("sec-websocket-protocol")
    await socket.accept(subprotocol=protocol)
    subs: list[Subscription] = []
    first = socket.query_params.get("stream")
    if first:
        await _subscribe(socket, grant, subs, {"stream": first, **socket.query_params})
    reader = asyncio.create_task(_read(socket, grant, subs))
    try:
        while not reader.done():
            for sub in list(subs):
                try:
                    found = await _look(socket, grant, sub)
                except ServiceError:  # the list was deleted meanwhile
                    subs.remove(sub)
                    continue
                for event, payload in found:
                    await socket.send_json({"stream": sub.name, "event": event, "payload": payload})
            await asyncio.wait({reader}, timeout=POLL_SECONDS)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the app went away
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await reader


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
            subs[:] = [s for s in subs if not s.same(gone)]


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
        await _look(socket, grant, sub)
        subs.append(sub)
    except (Refused, ServiceError) as exc:
        await socket.send_json({"error": exc.message, "status": exc.status})
