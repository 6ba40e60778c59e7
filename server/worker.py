"""The arq worker (`porch worker`): runs jobs enqueued on Redis, and sweeps due rows."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings

from federation import jobs as federation_jobs
from federation.runtime import Federation
from server import jobs
from server.clock import Clock
from server.config import Settings
from server.db import make_engine, make_sessions


async def publish_post(ctx: dict[str, Any], post_id: int) -> bool:
    return await jobs.publish_post(ctx["sessions"], ctx["clock"], post_id)


async def sweep(ctx: dict[str, Any]) -> int:
    return await jobs.publish_due(ctx["sessions"], ctx["clock"])


async def federate(ctx: dict[str, Any]) -> int:
    return await federation_jobs.run_due(ctx["federation"])


async def sweep_media(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["federation"].settings
    return await jobs.sweep_media(ctx["sessions"], ctx["clock"], settings.media_dir)


def worker_settings(settings: Settings, clock: Clock | None = None) -> dict[str, Any]:
    """The arq Worker arguments for a worker serving this instance."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["engine"] = make_engine(settings.database_url)
        ctx["sessions"] = make_sessions(ctx["engine"])
        ctx["clock"] = clock or Clock()
        ctx["federation"] = Federation.create(settings, ctx["sessions"], ctx["clock"])

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["federation"].close()
        await ctx["engine"].dispose()

    return {
        "functions": [publish_post],
        # Every 5 s, and at start: catches publishes whose job was lost (Redis flushed,
        # worker down when due), and fans out and delivers federation work. Separate
        # jobs, so a slow remote server never holds up a publish.
        "cron_jobs": [
            cron(sweep, second=set(range(0, 60, 5)), run_at_startup=True),
            cron(federate, second=set(range(0, 60, 5)), run_at_startup=True),
            # Hourly: media no post, draft or profile holds, after its day of grace.
            cron(sweep_media, minute=23, second=0),
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "max_tries": 5,
    }
