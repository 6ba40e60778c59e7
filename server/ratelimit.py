"""Rate limits for the doors (login attempts now), on the `limits` library.

Counts live in Redis when one is configured, so every web process shares them; in the
embedded default they live in the one web process's memory. While a configured Redis is
away, each process counts in its own memory (limits still hold, per process) and tries
Redis again every few seconds.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from server.outages import Outage, redis_errors

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)

#: How long to count in memory after Redis failed before asking it again.
RETRY_REDIS_SECONDS = 10.0


class RateLimits:
    def __init__(self, redis_url: str, login_per_5min: int) -> None:
        self._pool: ConnectionPool | None = None
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            from redis.asyncio import ConnectionPool

            # Our own pool, so shutdown can close its connections; short timeouts, so a
            # Redis that does not answer costs a login two seconds, not a hang.
            self._pool = ConnectionPool.from_url(
                redis_url, socket_connect_timeout=2, socket_timeout=2
            )
            # limits types its options as scalars, but its Redis storage takes a pool.
            options: dict[str, Any] = {"implementation": "redispy", "connection_pool": self._pool}
            storage = storage_from_string(f"async+{redis_url}", **options)
            self._shared = MovingWindowRateLimiter(storage)
        self._memory = MovingWindowRateLimiter(storage_from_string("async+memory://"))
        self._redis = Outage(
            log,
            "Redis",
            "login attempts are counted in this process",
            retry_seconds=RETRY_REDIS_SECONDS,
        )
        self._login = parse(f"{login_per_5min}/5 minutes")
        self._login_address = parse(f"{login_per_5min * 5}/5 minutes")

    async def login_attempt(self, address: str, login: str) -> int:
        """Count a login attempt; 0 if allowed, else the seconds to wait before another."""
        checks = [
            (self._login, "login", login.strip().lower()),
            (self._login_address, "login-address", address),
        ]
        if self._shared is not None and self._redis.worth_trying():
            try:
                wait = await _count(self._shared, checks)
            except redis_errors() as exc:
                self._redis.lost(exc)
            else:
                self._redis.back()
                return wait
        return await _count(self._memory, checks)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


async def _count(
    limiter: MovingWindowRateLimiter, checks: list[tuple[RateLimitItem, str, str]]
) -> int:
    for item, *identifiers in checks:
        if not await limiter.hit(item, *identifiers):
            stats = await limiter.get_window_stats(item, *identifiers)
            return max(1, int(stats.reset_time - time.time()))
    return 0
