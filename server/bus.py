"""The event bus: committed changes (server/services/events.py) reach every listener.

`LocalBus` serves one process (the embedded default, and tests). `RedisBus` also
publishes each event on a Redis channel and hands on what other processes published, so
any number of web processes and workers share one stream of events. A listener is a
bounded queue: one that falls too far behind is told so (`Listener.overflowed`) rather
than slowing everyone else down, and catches up by reading the database again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from server.outages import Outage, reconnect_delay, redis_errors
from server.services.events import Event

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: The channel, per Redis database: pub/sub ignores database numbers, and instances
#: (or test runs) sharing one Redis server by database must not hear each other.
CHANNEL = "porch:events:{db}"
#: Events a listener may have waiting before it is considered lost.
QUEUE_SIZE = 1000


class Listener:
    """Events as they are committed, in order; async-iterate or `get` them."""

    def __init__(self, bus: LocalBus, size: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.overflowed = False

    def _put(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # Keep the newest: the listener is told to read afresh, not fed stale news.
            self.overflowed = True

    async def get(self) -> Event:
        return await self._queue.get()

    def pending(self) -> list[Event]:
        """Everything waiting, without waiting."""
        out: list[Event] = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    def close(self) -> None:
        self._bus._listeners.discard(self)

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> Event:
        return await self.get()


class LocalBus:
    """Events committed in this process, handed to this process's listeners."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        self._watchers: list[Callable[[Event], None]] = []

    def emit(self, events: Sequence[Event]) -> None:
        """Hand on the events of one commit. Called from the commit hook: never blocks."""
        self._deliver(events)

    def watch(self, watcher: Callable[[Event], None]) -> None:
        """Call `watcher` with every event as it is delivered, before any listener gets
        it: in-memory state that must change before the next request reads it (the
        commit that caused a local event has not even returned yet)."""
        self._watchers.append(watcher)

    @property
    def hearing(self) -> tuple[bool, int]:
        """Whether every event committed anywhere reaches this process now, and which
        spell of hearing this is (a new number after each time events could have been
        missed). One process hears all its events, always."""
        return True, 0

    def _deliver(self, events: Sequence[Event]) -> None:
        for watcher in self._watchers:
            for item in events:
                try:
                    watcher(item)
                except Exception:  # one faulty watcher must not deafen the others
                    log.exception("a watcher failed on %s", item)
        for listener in tuple(self._listeners):
            for item in events:
                listener._put(item)

    @contextlib.contextmanager
    def listen(self, size: int = QUEUE_SIZE) -> Iterator[Listener]:
        """A listener for events committed from now on, closed when the block ends."""
        listener = Listener(self, size)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            listener.close()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    async def start(self) -> None:
        """Nothing to connect to in one process."""

    async def stop(self) -> None:
        self._listeners.clear()


class RedisBus(LocalBus):
    """A LocalBus whose events also travel through Redis pub/sub between processes.

    Each process tags what it publishes, so its own events (already delivered locally,
    at once) are not delivered twice when Redis echoes them back. While Redis is away,
    local delivery goes on and events for other processes are dropped (they read the
    database again when their listeners overflow or reconnect); it reconnects with backoff.
    """

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self._url = redis_url
        self._origin = uuid.uuid4().hex
        self._outbox: asyncio.Queue[str] = asyncio.Queue(10_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Redis | None = None
        self._outage = Outage(log, "Redis (events)", "events reach this process only")
        self.subscribed = asyncio.Event()
        #: Set while the subscription is lost (events from other processes are missed).
        self.unsubscribed = asyncio.Event()
        self.channel = CHANNEL.format(db=0)
        self._spell = 0

    @property
    def hearing(self) -> tuple[bool, int]:
        """Other processes' events arrive only while subscribed; each new subscription
        starts a new spell (events sent while it was away are lost)."""
        return self.subscribed.is_set(), self._spell

    def emit(self, events: Sequence[Event]) -> None:
        self._deliver(events)
        for item in events:
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(f"{self._origin} {item.encode()}")

    async def start(self) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(self._url, socket_connect_timeout=2)
        self.channel = CHANNEL.format(db=self._redis.connection_pool.connection_kwargs.get("db", 0))
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="bus-publish"),
            asyncio.create_task(self._receive_forever(), name="bus-receive"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._redis is not None:
            await self._redis.aclose()
        await super().stop()

    async def _publish_forever(self) -> None:
        assert self._redis is not None
        while True:
            message = await self._outbox.get()
            try:
                await self._redis.publish(self.channel, message)
                self._outage.back()
            except redis_errors() as exc:
                self._outage.lost(exc)

    async def _receive_forever(self) -> None:
        assert self._redis is not None
        attempt = 0
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._spell += 1
                    self.subscribed.set()
                    self.unsubscribed.clear()
                    self._outage.back()
                    attempt = 0
                    async for message in self._messages(pubsub):
                        self._received(message)
            except Exception as exc:
                # Anything else is a fault here, not Redis away: said, and still retried,
                # since a dead receiver would leave this process deaf for good.
                if not isinstance(exc, redis_errors()):
                    log.exception("receiving events from Redis failed; subscribing again")
                self.subscribed.clear()
                self.unsubscribed.set()
                self._spell += 1
                self._outage.lost(exc)
                attempt += 1
                await asyncio.sleep(reconnect_delay(attempt))

    @staticmethod
    async def _messages(pubsub: Any) -> AsyncIterator[bytes]:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                yield message["data"]

    def _received(self, data: bytes) -> None:
        origin, _, raw = data.decode("utf-8", "replace").partition(" ")
        if origin == self._origin:
            return
        try:
            self._deliver([Event.decode(raw)])
        except ValueError as exc:
            log.warning("ignored a message on %s: %s", self.channel, exc)


class Watch:
    """Whether an event of interest was committed since the last look, for something
    kept in memory that a request checks before using it (no task: it reads the events
    waiting for it). The first look, one after a restart, and one after falling behind
    all say "changed"; so does any look while no bus runs."""

    def __init__(self, interesting: Callable[[Event], bool]) -> None:
        self._interesting = interesting
        self._bus: LocalBus | None = None
        self._listener: Listener | None = None

    def changed(self, bus: LocalBus | None) -> bool:
        """Whether anything of interest happened since the last look."""
        found = self.changes(bus)
        return found is None or bool(found)

    def changes(self, bus: LocalBus | None) -> list[Event] | None:
        """The events of interest since the last look, or None: start afresh."""
        if bus is None:
            return None
        if bus is not self._bus or self._listener is None:
            if self._listener is not None:
                self._listener.close()
            self._bus, self._listener = bus, Listener(bus, QUEUE_SIZE)
            bus._listeners.add(self._listener)
            return None
        listener = self._listener
        waiting = listener.pending()
        if listener.overflowed:
            listener.overflowed = False
            return None
        return [item for item in waiting if self._interesting(item)]


def make_bus(redis_url: str | None) -> LocalBus:
    """The bus for this process: through Redis when one is configured."""
    return RedisBus(redis_url) if redis_url else LocalBus()
