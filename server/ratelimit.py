"""Rate limits for the doors (login attempts now), on the `limits` library.

Counts live in Redis when one is configured, so every web process shares them; in the
embedded default they live in the one web process's memory.
"""

from __future__ import annotations

import time

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class RateLimits:
    def __init__(self, redis_url: str, login_per_5min: int) -> None:
        uri = f"async+{redis_url}" if redis_url else "async+memory://"
        options = {"implementation": "redispy"} if redis_url else {}
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))  # type: ignore[arg-type]
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
