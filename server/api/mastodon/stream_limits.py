"""How much streaming one token and one address may hold open at once.

Every connection holds a socket and every subscription a share of each event's audience
check, so an app token (which anyone can get without an account) must not be able to
open thousands of them. Mastodon's apps open one or two connections with a handful of
streams each; these caps leave them plenty of room. They are counted per web process:
with several processes behind a proxy each allows as much, which still bounds the work.
PORCH_STREAMS_PER_ADDRESS raises the per-address cap (many members behind one NAT, or
a benchmark); an address may then follow ten streams per connection.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypeVar

K = TypeVar("K", int, str)

#: Streams one connection may follow at once.
MAX_SUBSCRIPTIONS = 100
#: Open connections per access token, and per client address (all tokens together).
MAX_PER_TOKEN = 4
MAX_PER_ADDRESS = 20
#: Streams followed from one address over all its connections.
MAX_SUBSCRIPTIONS_PER_ADDRESS = 200


class Slots:
    """The streaming connections and subscriptions open in this process."""

    def __init__(self, per_address: int | None = None) -> None:
        self._per_address = per_address
        self._tokens: Counter[int] = Counter()
        self._addresses: Counter[str] = Counter()
        self._subscriptions: Counter[str] = Counter()

    def open(self, token_id: int, address: str) -> str | None:
        """Take a connection slot; the reason it is refused otherwise."""
        if self._tokens[token_id] >= MAX_PER_TOKEN:
            return (
                f"This access token has {MAX_PER_TOKEN} streaming connections open already; "
                "close one first"
            )
        most = self._per_address or MAX_PER_ADDRESS
        if self._addresses[address] >= most:
            return f"Your address has {most} streaming connections open already; close one first"
        self._tokens[token_id] += 1
        self._addresses[address] += 1
        return None

    def close(self, token_id: int, address: str, subscriptions: int = 0) -> None:
        """Give back a connection's slot and its subscriptions."""
        _give_back(self._tokens, token_id, 1)
        _give_back(self._addresses, address, 1)
        _give_back(self._subscriptions, address, subscriptions)

    def subscribe(self, address: str, held: int) -> str | None:
        """Take a subscription for a connection holding `held`; the reason it is refused
        otherwise."""
        if held >= MAX_SUBSCRIPTIONS:
            return (
                f"A connection may follow at most {MAX_SUBSCRIPTIONS} streams; "
                "unsubscribe from one first"
            )
        most = 10 * self._per_address if self._per_address else MAX_SUBSCRIPTIONS_PER_ADDRESS
        if self._subscriptions[address] >= most:
            return f"Your address follows {most} streams already; unsubscribe from some first"
        self._subscriptions[address] += 1
        return None

    def unsubscribe(self, address: str) -> None:
        _give_back(self._subscriptions, address, 1)


def _give_back(counter: Counter[K], key: K, count: int) -> None:
    """Lower `key`'s count, forgetting keys that hold nothing so the counters stay small."""
    counter[key] -= count
    if counter[key] <= 0:
        del counter[key]


def slots(app: Any) -> Slots:
    """The app's slots, made on first use."""
    found = getattr(app.state, "stream_slots", None)
    if found is None:
        found = app.state.stream_slots = Slots(app.state.settings.streams_per_address)
    return found
