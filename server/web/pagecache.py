"""A few seconds of caching for pages as logged-out visitors see them.

A popular profile or thread is read by many visitors at once; rendering it once every
couple of seconds instead of for each of them keeps Porch responsive on a small machine.
Only requests without a session cookie are served from or stored in the cache, and only
200 responses that set no cookie, so nothing personal is ever cached. Logged-out visitors
see only public and unlisted posts, so a cached page can show nothing private; the cost
is that a deletion reaches them up to PORCH_PUBLIC_CACHE_SECONDS later. What a thread
shows its readers (a reply hidden or shown again by the thread's author, or their block
made or lifted) may not wait: a `stale`/"thread" event empties the cache, and a page
rendered while one arrived is not kept.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cachetools import TTLCache
from starlette.requests import Request
from starlette.responses import Response

from server.bus import LocalBus, Watch
from server.clock import Clock
from server.services.events import Event, EventKind

SESSION_COOKIE = "porch_session"
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class _Page:
    status: int
    body: bytes
    media_type: str | None


def _thread_changed(event: Event) -> bool:
    return event.kind is EventKind.stale and event.topic == "thread"


class PublicPageCache:
    def __init__(self, seconds: float, clock: Clock, size: int = 2048) -> None:
        self._pages: TTLCache[str, _Page] | None = None
        self._watch = Watch(_thread_changed)
        if seconds > 0:
            self._pages = TTLCache(size, seconds, timer=lambda: clock.now().timestamp())

    def forget_if_stale(self, bus: LocalBus | None) -> bool:
        """Empty the cache if what a thread shows changed since the last look; whether it
        did (hides and blocks are rare next to reads: everything goes)."""
        if self._pages is None or not self._watch.changed(bus):
            return False
        self._pages.clear()
        return True

    def get(self, key: str) -> Response | None:
        page = self._pages.get(key) if self._pages is not None else None
        if page is None:
            return None
        return Response(page.body, status_code=page.status, media_type=page.media_type)

    def put(self, key: str, response: Response) -> None:
        if self._pages is None or response.status_code != 200 or "set-cookie" in response.headers:
            return
        self._pages[key] = _Page(response.status_code, bytes(response.body), response.media_type)


def public_page(handler: Handler) -> Handler:
    """Serve this GET page to logged-out visitors from the short-lived cache."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        cache: PublicPageCache = request.app.state.page_cache
        if SESSION_COOKIE in request.cookies:
            return await handler(request)
        key = f"{request.url.path}?{request.url.query}"
        bus = getattr(request.app.state, "bus", None)
        cache.forget_if_stale(bus)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = await handler(request)
        if not cache.forget_if_stale(bus):  # rendered while a thread changed: not kept
            cache.put(key, response)
        return response

    return wrapper
