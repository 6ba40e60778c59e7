"""The stream hub: one bus listener per process turns committed changes into messages for
every open streaming connection.

Each event is worked out once for everyone connected: who may receive it (the
audience service, a few statements whatever the number of viewers), then the entity,
rendered once with each receiver's own buttons laid over it. Each connection only
waits on its own small queue, so an idle one costs nothing. Access is checked again at
once when an event says it changed, and for all connections together every
RECHECK_SECONDS, which bounds how long a stream outlives a token revoked where no event
reaches this process (a CLI command without Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from server.api.mastodon import render
from server.api.mastodon.context import Call
from server.api.mastodon.params import Params
from server.api.mastodon.stream_subscriptions import Subscription
from server.bus import Listener
from server.services import audience, notifications, oauth_tokens
from server.services.audience import Marks, Reader
from server.services.events import Event, EventKind
from server.services.oauth_tokens import Grant
from server.services.paging import Window
from server.services.timelines import views_of

log = logging.getLogger(__name__)

#: How often every open connection's grant is checked again, all in one statement.
RECHECK_SECONDS = 10.0
#: Events the hub's listener may have waiting before it counts them lost.
LISTEN_SIZE = 1000
#: Messages a connection may have waiting; one that falls further behind is closed.
QUEUE_SIZE = 200
REVOKED = "The access token was revoked or its account can no longer sign in"
BEHIND = "The stream fell behind; reconnect to catch up"


@dataclass(frozen=True)
class Message:
    """One event for one subscription of a connection."""

    stream: list[str]
    event: str
    payload: str


@dataclass(frozen=True)
class End:
    """The hub closes the connection: why, and the WebSocket close code."""

    reason: str
    code: int


#: WebSocket close codes: 4000 + the HTTP status, or 1013 ("try again later").
CLOSE_UNAUTHORIZED = 4001
CLOSE_TRY_AGAIN = 1013


class Connection:
    """An open stream: whose, what it follows, and what waits to be sent."""

    def __init__(self, grant: Grant, subs: list[Subscription]) -> None:
        self.grant = grant
        self.subs = subs
        self._queue: asyncio.Queue[Message | End] = asyncio.Queue()
        self.ended = False

    @property
    def viewer_id(self) -> int | None:
        return self.grant.actor_id

    def put(self, item: Message) -> None:
        if self.ended:
            return
        if self._queue.qsize() >= QUEUE_SIZE:
            self.end(End(BEHIND, CLOSE_TRY_AGAIN))
            return
        self._queue.put_nowait(item)

    def end(self, why: End) -> None:
        """Close the stream after what is already waiting."""
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(why)

    async def get(self, timeout: float | None) -> Message | End | None:
        """The next message, or None when `timeout` passes without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None


class Hub:
    """The open streaming connections of this process, and the one listener serving them.

    The listener exists only while a connection is open, so a process nobody streams
    from listens to nothing.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.connections: set[Connection] = set()
        self._listening = contextlib.ExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        # Rendering reads the site's settings and addresses through a request.
        self._request = Request({"type": "http", "app": app, "headers": [], "query_string": b""})

    def join(self, grant: Grant, subs: list[Subscription]) -> Connection:
        """Open a connection; it hears every event committed from now on."""
        connection = Connection(grant, subs)
        self.connections.add(connection)
        if not self._tasks:
            listener = self._listening.enter_context(self.app.state.bus.listen(LISTEN_SIZE))
            self._tasks = [
                asyncio.create_task(self._run(listener), name="stream-hub"),
                asyncio.create_task(self._recheck_forever(), name="stream-recheck"),
            ]
        return connection

    async def leave(self, connection: Connection) -> None:
        """Close a connection; the last one out stops the listener and waits for its
        tasks to end, so none outlives the connections (or the event loop)."""
        self.connections.discard(connection)
        if not self.connections and self._tasks:
            running, self._tasks = self._tasks, []
            for task in running:
                task.cancel()
            self._listening.close()
            await asyncio.gather(*running, return_exceptions=True)

    async def _run(self, listener: Listener) -> None:
        while True:
            event = await listener.get()
            if listener.overflowed:
                # Events were lost: streams close, and apps reconnect and reload, as they
                # do after any reconnection.
                listener.pending()
                listener.overflowed = False
                for connection in list(self.connections):
                    connection.end(End(BEHIND, CLOSE_TRY_AGAIN))
                continue
            try:
                await self.handle(event)
            except Exception:
                log.exception("could not stream %s", event)

    async def handle(self, event: Event) -> None:
        """Send what `event` means to every connection that may hear it."""
        if event.kind == EventKind.post_published:
            await self._post(event.subject, "update")
        elif event.kind == EventKind.post_edited:
            await self._post(event.subject, "status.update")
        elif event.kind == EventKind.post_deleted:
            # A delete carries only the id: every post stream hears it, as on Mastodon.
            for connection in list(self.connections):
                for sub in list(connection.subs):
                    if sub.posts:
                        connection.put(Message(sub.name, "delete", str(event.subject)))
        elif event.kind == EventKind.notification:
            await self._notification(event.subject, set(event.audience))
        elif event.kind == EventKind.access_changed:
            await self.recheck()

    async def recheck(self) -> None:
        """Close every connection whose grant no longer holds (one statement for all)."""
        connections = list(self.connections)
        if not connections:
            return
        async with self.app.state.sessions() as session:
            live = await oauth_tokens.live(session, {c.grant.token_id for c in connections})
        for connection in connections:
            if connection.grant.token_id not in live:
                connection.end(End(REVOKED, CLOSE_UNAUTHORIZED))

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            try:
                await self.recheck()
            except Exception:
                log.exception("could not check the streams' grants")

    async def _post(self, post_id: int, kind: str) -> None:
        wanting: dict[Reader, list[tuple[Connection, Subscription]]] = defaultdict(list)
        for connection in list(self.connections):
            for sub in list(connection.subs):
                if sub.posts:
                    wanting[sub.reader(connection.viewer_id)].append((connection, sub))
        if not wanting:
            return
        async with self.app.state.sessions() as session:
            now = self.app.state.clock.now()
            reached = await audience.readers(session, post_id, wanting, now)
            grants = {r.viewer_id: wanting[r][0][0].grant for r in reached}
            payloads = await self._statuses(session, post_id, grants) if grants else {}
        for reader in reached:
            payload = payloads.get(reader.viewer_id)
            for connection, sub in wanting[reader] if payload else ():
                connection.put(Message(sub.name, kind, payload or ""))

    async def _statuses(
        self, session: Any, post_id: int, grants: dict[int | None, Grant]
    ) -> dict[int | None, str]:
        """The post's entity for each receiver: rendered once, each receiver's likes,
        boosts and bookmarks laid over it."""
        first = next(iter(grants))
        entity = await self._render_for(session, post_id, first, grants[first])
        if entity is None:
            return {}
        shown = [e for e in (entity, entity.get("reblog")) if e]
        if await audience.answered(session, [int(e["id"]) for e in shown]):
            # Which replies count depends on who looks: render for each receiver.
            out = {}
            for viewer, grant in grants.items():
                own = await self._render_for(session, post_id, viewer, grant)
                if own is not None:
                    out[viewer] = json.dumps(own)
            return out
        members = [v for v in grants if v is not None]
        marks = await audience.marks_of(session, members, [int(e["id"]) for e in shown])
        encoded: dict[tuple[bool, ...], str] = {}
        payloads: dict[int | None, str] = {}
        for viewer in grants:
            mine = marks.get(viewer, Marks()) if viewer is not None else Marks()
            flags = tuple(
                int(e["id"]) in found
                for e in shown
                for found in (mine.liked, mine.boosted, mine.bookmarked)
            )
            if flags not in encoded:
                encoded[flags] = json.dumps(_marked(entity, mine))
            payloads[viewer] = encoded[flags]
        return payloads

    async def _render_for(
        self, session: Any, post_id: int, viewer_id: int | None, grant: Grant
    ) -> dict[str, Any] | None:
        views = await views_of(session, viewer_id, [post_id])
        if not views:
            return None
        call = Call(self._request, session, Params(), grant)
        return (await render.statuses(call, views))[0]

    async def _notification(self, notification_id: int, owners: set[int]) -> None:
        targets = [
            (connection, sub)
            for connection in list(self.connections)
            if connection.viewer_id in owners
            for sub in list(connection.subs)
            if sub.notifications
        ]
        if not targets:
            return
        by_owner: dict[int | None, list[tuple[Connection, Subscription]]] = defaultdict(list)
        for connection, sub in targets:
            by_owner[connection.viewer_id].append((connection, sub))
        async with self.app.state.sessions() as session:
            for owner, held in by_owner.items():
                assert owner is not None
                # Read as the notifications list reads them, with its filters.
                window = Window(limit=1, since_id=notification_id - 1, max_id=notification_id + 1)
                found = await notifications.for_member(session, owner, window)
                if not found:
                    continue
                call = Call(self._request, session, Params(), held[0][0].grant)
                rendered = await render.notifications(call, found)
                for entity in rendered:
                    payload = json.dumps(entity)
                    for connection, sub in held:
                        connection.put(Message(sub.name, "notification", payload))


def _marked(entity: dict[str, Any], marks: Marks) -> dict[str, Any]:
    """`entity` with one viewer's buttons."""

    def mark(shown: dict[str, Any]) -> dict[str, Any]:
        post_id = int(shown["id"])
        return {
            **shown,
            "favourited": post_id in marks.liked,
            "reblogged": post_id in marks.boosted,
            "bookmarked": post_id in marks.bookmarked,
        }

    out = mark(entity)
    if entity.get("reblog"):
        out["reblog"] = mark(entity["reblog"])
    return out


def hub(app: Any) -> Hub:
    """The app's hub, made on first use."""
    found = getattr(app.state, "stream_hub", None)
    if found is None:
        found = app.state.stream_hub = Hub(app)
    return found
