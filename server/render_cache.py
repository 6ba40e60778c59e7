"""Bounded caches of rendered parts (entities, HTML fragments), one per app and kind.

What goes in is what every viewer would be shown alike, under a key naming everything it
was made from (a post's id and version, a profile's fields): a change makes a new key,
so nothing is invalidated by hand, and old entries fall out of the least recently used
end. What one viewer may see and another may not is never put in; readers look entries
up only for posts the read path has already let them see.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    """At most `size` entries, the least recently used dropped first (0: keeps nothing).

    Used from one event loop: no lock is needed between get and put."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def cache_of(state: Any, name: str, size: int) -> Lru[Any]:
    """The app's cache called `name` (made on first use): each app keeps its own, since
    ids mean different rows in different databases."""
    caches: dict[str, Lru[Any]] | None = getattr(state, "render_caches", None)
    if caches is None:
        caches = {}
        state.render_caches = caches
    found = caches.get(name)
    if found is None:
        found = caches[name] = Lru(size)
    return found
