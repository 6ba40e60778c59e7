"""The arq worker (`porch worker`): runs jobs enqueued on Redis, and sweeps due rows."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings

from server import jobs
from server.clock import Clock
from server.config import load_settings
from server.db import make_engine, make_sessions


async def startup(ctx: dict[str, Any]) -> None:
    settings = load_settings()
    ctx["engine"] = make_engine(settings.database_url)
    ctx["sessions"] = make_sessions(ctx["engine"])
    ctx["clock"] = Clock()


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


async def publish_post(ctx: dict[str, Any], post_id: int) -> bool:
    return await jobs.publish_post(ctx["sessions"], ctx["clock"], post_id)


async def sweep(ctx: dict[str, Any]) -> int:
    return await jobs.publish_due(ctx["sessions"], ctx["clock"])


def worker_settings(redis_url: str) -> dict[str, Any]:
    """The arq settings for a worker on `redis_url`."""
    return {
        "functions": [publish_post],
        # Every 5 s: catches rows whose job was lost (Redis flushed, worker down).
        "cron_jobs": [cron(sweep, second=set(range(0, 60, 5)), run_at_startup=True)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "max_tries": 5,
        "handle_signals": True,
    }
