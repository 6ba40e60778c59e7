"""The worker (`porch worker`): runs jobs enqueued on Redis through arq, sweeps due rows
from the database, and waits out Redis outages instead of exiting.

The database is the truth and arq only the doorbell: the sweeps (server/jobs.py) run in
this process whether or not Redis answers, so posts are published and deliveries sent on
time through an outage, while the queue reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from arq.worker import Worker

from federation.runtime import Federation
from server import jobs
from server.bus import make_bus
from server.clock import Clock
from server.config import Settings
from server.db import make_engine, make_sessions
from server.outages import Outage, reconnect_delay, redis_errors

log = logging.getLogger(__name__)

#: How long a stopping worker lets the jobs it is running finish.
STOP_GRACE_SECONDS = 10.0


async def publish_post(ctx: dict[str, Any], post_id: int) -> bool:
    return await jobs.publish_post(ctx["sessions"], ctx["clock"], post_id)


async def open_resources(settings: Settings, clock: Clock) -> dict[str, Any]:
    """What jobs need: the engine, sessions, clock and federation runtime."""
    engine = make_engine(settings.database_url)
    # Events from jobs (a post published, a notification) reach the web processes'
    # streams through Redis.
    bus = make_bus(settings.redis_url)
    await bus.start()
    sessions = make_sessions(engine, bus)
    federation = Federation.create(settings, sessions, clock)
    return {
        "engine": engine,
        "sessions": sessions,
        "clock": clock,
        "federation": federation,
        "bus": bus,
    }


async def close_resources(resources: dict[str, Any]) -> None:
    await resources["federation"].close()
    await resources["bus"].stop()
    await resources["engine"].dispose()


def worker_settings(
    settings: Settings,
    clock: Clock | None = None,
    *,
    shared: dict[str, Any] | None = None,
    on_connect: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """The arq Worker arguments for a worker serving this instance. With `shared`
    resources the worker uses them and leaves closing them to their owner; `on_connect`
    is called each time the worker has reached Redis."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx.update(
            shared if shared is not None else await open_resources(settings, clock or Clock())
        )
        if on_connect is not None:
            on_connect()

    async def shutdown(ctx: dict[str, Any]) -> None:
        if shared is None:
            await close_resources(ctx)

    return {
        "functions": [publish_post],
        # Periodic work runs in the sweeps (jobs.InProcessJobs), which go on without Redis.
        "cron_jobs": [],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": jobs.redis_settings(settings.redis_url),
        "max_tries": 5,
    }


async def run(settings: Settings, stop: asyncio.Event, clock: Clock | None = None) -> None:
    """Run the worker until `stop` is set: the database sweeps, and the queue whenever
    Redis can be reached."""
    resources = await open_resources(settings, clock or Clock())
    sweeps = jobs.InProcessJobs(
        resources["sessions"], resources["clock"], resources["federation"], resources["bus"]
    )
    await sweeps.start()
    try:
        await _Queue(settings, resources).serve(stop)
    finally:
        await sweeps.stop()
        await close_resources(resources)


class _Queue:
    """arq's worker, started again with backoff whenever Redis goes away (arq itself
    raises out of its loop on the first failed Redis command)."""

    def __init__(self, settings: Settings, resources: dict[str, Any]) -> None:
        self.settings = settings
        self.resources = resources
        self.redis = Outage(log, "Redis", "due posts and deliveries are swept from the database")
        self.failures = 0

    def _connected(self) -> None:
        self.failures = 0
        self.redis.back()

    async def serve(self, stop: asyncio.Event) -> None:
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                await self._one_run(stopping)
                if stop.is_set():
                    break
                self.failures += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), reconnect_delay(self.failures))
        finally:
            stopping.cancel()

    async def _one_run(self, stopping: asyncio.Task[Any]) -> None:
        args = worker_settings(self.settings, shared=self.resources, on_connect=self._connected)
        worker = Worker(**args, handle_signals=False)
        main = asyncio.create_task(worker.main())
        try:
            await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not main.done():
                main.cancel()
            try:
                await main
            except asyncio.CancelledError:
                if not stopping.done():
                    raise  # this task itself is being cancelled
            except redis_errors() as exc:
                self.redis.lost(exc)
            except Exception:
                log.exception("the job queue failed; starting it again")
        finally:
            await _close(worker)


async def _close(worker: Worker) -> None:
    """Let running jobs finish, then let go of Redis, whether or not it still answers."""
    running = [task for task in worker.tasks.values() if not task.done()]
    if running:
        await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
    for task in worker.tasks.values():
        if task.done() and not task.cancelled():
            task.exception()  # a job that could not record its result in Redis: retrieved
    if worker._pool is not None:
        with contextlib.suppress(*redis_errors()):
            await worker.pool.delete(worker.health_check_key)
        with contextlib.suppress(*redis_errors()):
            await worker.pool.aclose(close_connection_pool=True)
