"""Rate limits for the doors (login attempts now), on the `limits` library.

Counts live in Redis when one is configured, so every web process shares them; in the
embedded default they live in the one web process's memory.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool


class RateLimits:
    def __init__(self, redis_url: str, login_per_5min: int) -> None:
        self._pool: ConnectionPool | None = None
        if redis_url:
            from redis.asyncio import ConnectionPool

            # Our own pool, so shutdown can close its connections.
            self._pool = ConnectionPool.from_url(redis_url)
            storage = storage_from_string(
                f"async+{redis_url}", implementation="redispy", connection_pool=self._pool
            )
        else:
            storage = storage_from_string("async+memory://")
        self._limiter = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
        self._login = parse(f"{login_per_5min}/5 minutes")
        self._login_address = parse(f"{login_per_5min * 5}/5 minutes")

    async def login_attempt(self, address: str, login: str) -> int:
        """Count a login attempt; 0 if allowed, else the seconds to wait before another."""
        checks = [
            (self._login, "login", login.strip().lower()),
            (self._login_address, "login-address", address),
        ]
        for item, *identifiers in checks:
            if not await self._limiter.hit(item, *identifiers):
                stats = await self._limiter.get_window_stats(item, *identifiers)
                return max(1, int(stats.reset_time - time.time()))
        return 0

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()
