"""Noticing that a service (Redis, the database) went away and came back, said once each.

Outages are waited out, not crashed on: callers carry on without the service (or try
again later) and report the change of state, not every failed attempt.
"""

from __future__ import annotations

import functools
import logging
import random
import time


@functools.cache
def redis_errors() -> tuple[type[BaseException], ...]:
    """What redis-py raises when Redis is away (arq and limits add nothing of their own).
    A function, so that the embedded default (no Redis) never imports redis-py."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


class Outage:
    """The state of one service as one part of Porch sees it, logged only when it changes."""

    def __init__(
        self, log: logging.Logger, service: str, meanwhile: str, *, retry_seconds: float = 0.0
    ) -> None:
        self.log = log
        self.service = service
        self.meanwhile = meanwhile
        self.retry_seconds = retry_seconds
        self.down = False
        self._retry_at = 0.0

    def worth_trying(self) -> bool:
        """False for `retry_seconds` after a failure: callers that have a way around the
        service use it meanwhile instead of waiting on a dead connection every time."""
        return not self.down or time.monotonic() >= self._retry_at

    def lost(self, error: BaseException) -> None:
        """Record a failure; the first one of an outage is logged."""
        if not self.down:
            self.log.warning("%s is unreachable (%r); %s", self.service, error, self.meanwhile)
        self.down = True
        self._retry_at = time.monotonic() + self.retry_seconds

    def back(self) -> None:
        """Record a success; the first one after an outage is logged."""
        if self.down:
            self.log.warning("%s is reachable again", self.service)
        self.down = False


def reconnect_delay(attempt: int, *, first: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before reconnection attempt `attempt` (1, 2, ...): doubling from
    `first` up to `cap`, with jitter so processes that lost a service together do not
    come back in step."""
    ceiling = min(cap, first * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)
