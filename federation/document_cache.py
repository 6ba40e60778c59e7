"""Discovery and public documents answered from bytes, before the app does any work.

Other servers ask for the same few things again and again: WebFinger, actor documents,
NodeInfo and public posts' documents. This ASGI middleware sits outside every other one,
so a hit costs a dictionary lookup and two `send` calls: no session, no body wrapping,
no route matching, no database. A miss runs the app as usual and keeps the answer's
bytes (status line headers and body, as every inner middleware left them).

What may be kept is only what is the same for everyone who can ask that way:
- the key is what the answer depends on: the path (with `/@name` forms mapped as
  ProfileAliases maps them), the raw query, and for actors and notes whether the Accept
  header asks for ActivityStreams (anything else goes to the app: the web page or the
  redirect to it);
- requests carrying a cookie or, where a signature can change the answer, a signature
  (post documents always; actor documents under authorized fetch) bypass the cache both
  ways, so a blocked server is refused and a follower gets followers-only posts from the
  route itself;
- only 200 answers without Set-Cookie or a private/no-store Cache-Control are kept, and
  only from GET (a HEAD hit sends the same headers without the body).

Entries go stale by events (server/services/events.py), not by time: a `stale` event
for an actor drops actor documents, WebFinger answers and post documents (a suspended
or deleted author's posts disappear); "instance" drops NodeInfo and the instance actor;
post edits and deletions drop that post's documents. Events are read before every
lookup, so the next request after a commit in this process is fresh; other processes
hear through RedisBus. An answer rendered while an event arrived is not kept. Each entry
also expires after BACKSTOP_SECONDS, so NodeInfo's usage counts are at most that old and
a change made without the bus (a CLI command on the embedded set-up) shows that late.
The store is an LRU bounded in bytes (PORCH_DOCUMENT_CACHE_MB).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.negotiation import wants_as2
from server.clock import Clock
from server.ids import parse_id
from server.services.events import Event, EventKind

#: How long any entry lives without an event (NodeInfo's usage counts are this old at most).
BACKSTOP_SECONDS = 60.0
#: Bookkeeping per entry besides its bytes, counted against the bound.
_OVERHEAD = 400

_ACTOR = re.compile(r"^/users/([^/]+)$")
_POST = re.compile(r"^/users/([^/]+)/statuses/([^/]+)(/activity)?$")
_ALIAS = re.compile(r"^/@(?P<username>[A-Za-z0-9_]+)(?P<rest>/[0-9]{1,19})?$")
_NEVER_KEEP = (b"private", b"no-store")

#: (path, raw query, asks for AS2, authorized fetch on)
Key = tuple[str, bytes, bool, bool]


@dataclass(frozen=True, slots=True)
class Kind:
    """What a request asks for, as far as the cache is concerned."""

    #: Which events make it stale: "actor", "instance" or "post".
    group: str
    #: The post a post document is about (its edits and deletion drop it).
    post_id: int | None = None
    #: When a signature can change the answer (a signed request then bypasses the
    #: cache): "never", "authorized fetch" (only while it is on), or "always".
    signer_matters: str = "never"


@dataclass(slots=True)
class _Entry:
    start: Message
    body: bytes
    kind: Kind
    expires: float
    size: int


def classify(path: str, as2: bool) -> tuple[str, Kind] | None:
    """The path to key on and what kind of document it is; None for anything the cache
    never answers (every other path, and actor or note URLs asked for as HTML)."""
    if path == "/.well-known/webfinger":
        return path, Kind("actor")
    if path == "/.well-known/nodeinfo" or path.startswith("/nodeinfo/"):
        return path, Kind("instance")
    if path == "/actor":
        return path, Kind("instance")
    if (alias := _ALIAS.match(path)) is not None:
        if not as2:
            return None  # the profile or post page for people
        path = f"/users/{alias['username']}"
        if alias["rest"]:
            path += "/statuses" + alias["rest"]
    if _ACTOR.match(path) is not None:
        # Under authorized fetch strangers get the short form.
        return (path, Kind("actor", signer_matters="authorized fetch")) if as2 else None
    if (post := _POST.match(path)) is not None:
        post_id = parse_id(post[2])
        if post_id is None or not (as2 or post[3]):
            return None
        # Who signs decides: a blocked server is refused, a follower sees more.
        return path, Kind("post", post_id, signer_matters="always")
    return None


class DocumentStore:
    """Kept answers by key, least recently used first, within `max_bytes`."""

    def __init__(self, max_bytes: int, clock: Clock) -> None:
        self.max_bytes = max_bytes
        #: One huge document must not push out everything else.
        self.max_entry = max_bytes // 8
        self.clock = clock
        self.size = 0
        #: Bumped by every invalidation: an answer rendered across one is not kept.
        self.generation = 0
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self.clock.now().timestamp():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, start: Message, body: bytes, kind: Kind) -> None:
        size = len(body) + sum(len(k) + len(v) for k, v in start["headers"]) + _OVERHEAD
        if size > self.max_entry:
            return
        self._drop(key)
        expires = self.clock.now().timestamp() + BACKSTOP_SECONDS
        self._entries[key] = _Entry(start, body, kind, expires, size)
        self.size += size
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    def _drop_where(self, stale: Any) -> None:
        self.generation += 1
        for key in [k for k, e in self._entries.items() if stale(e.kind)]:
            self._drop(key)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self.size = 0

    def apply(self, event: Event) -> None:
        """Drop what `event` makes stale."""
        if event.kind in (EventKind.post_edited, EventKind.post_deleted) or (
            event.kind is EventKind.stale and event.topic == "post"
        ):
            self._drop_where(lambda kind: kind.post_id == event.subject)
        elif event.kind is EventKind.stale and event.topic == "actor":
            # Entries are keyed by name, events name ids: every actor's documents go
            # (profile changes are rare next to reads), with the posts of a suspended
            # or deleted author.
            self._drop_where(lambda kind: kind.group in ("actor", "post"))
        elif event.kind is EventKind.stale and event.topic == "instance":
            self._drop_where(lambda kind: kind.group == "instance")


class DocumentCache:
    """The ASGI middleware (see the module docstring); outermost in the app."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, clock: Clock) -> None:
        self.app = app
        self.store = DocumentStore(max_bytes, clock)
        self._bus: Any = None
        self._listening: AbstractContextManager[Any] | None = None
        self._listener: Any = None

    def _catch_up(self, state: Any) -> bool:
        """Apply the events committed since the last request; False when no bus runs
        (before start-up): nothing is then kept or served."""
        bus = getattr(state, "bus", None)
        if bus is None:
            return False
        if bus is not self._bus:  # first request, or the app was started again
            self.store.clear()
            self._bus = bus
            self._listening = bus.listen()
            self._listener = self._listening.__enter__()
            return True
        listener = self._listener
        if listener.overflowed:
            listener.pending()
            listener.overflowed = False
            self.store.clear()
        else:
            for event in listener.pending():
                self.store.apply(event)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or self.store.max_bytes <= 0
        ):
            await self.app(scope, receive, send)
            return
        accept = ""
        signed = cookie = False
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name in (b"signature", b"signature-input"):
                signed = True
            elif name == b"cookie":
                cookie = True
        as2 = wants_as2(accept)
        found = classify(scope["path"], as2)
        if found is None or cookie:
            await self.app(scope, receive, send)
            return
        path, kind = found
        state = scope["app"].state
        authorized_fetch = bool(state.settings.authorized_fetch)
        if (signed and _signer_matters(kind, authorized_fetch)) or not self._catch_up(state):
            await self.app(scope, receive, send)
            return
        key: Key = (path, scope.get("query_string", b""), as2, authorized_fetch)
        entry = self.store.get(key)
        if entry is not None:
            await send(entry.start)
            body = b"" if scope["method"] == "HEAD" else entry.body
            await send({"type": "http.response.body", "body": body})
            return
        if scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        await self._miss(scope, receive, send, key, kind, state)

    async def _miss(
        self, scope: Scope, receive: Receive, send: Send, key: Key, kind: Kind, state: Any
    ) -> None:
        generation = self.store.generation
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def keep(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, keep)
        if start is None or not complete or not _keepable(start):
            return
        self._catch_up(state)  # an event during rendering bumps the generation
        if self.store.generation == generation:
            headers = [(bytes(k), bytes(v)) for k, v in start["headers"]]
            kept = {"type": "http.response.start", "status": 200, "headers": headers}
            self.store.put(key, kept, b"".join(chunks), kind)


def _signer_matters(kind: Kind, authorized_fetch: bool) -> bool:
    return kind.signer_matters == "always" or (
        authorized_fetch and kind.signer_matters == "authorized fetch"
    )


def _keepable(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start["headers"]:
        name = bytes(name).lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and any(word in bytes(value).lower() for word in _NEVER_KEEP):
            return False
    return True
