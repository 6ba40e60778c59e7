"""Background work: the job functions and the two ways to run them.

The database is the truth. A scheduled publish is a row first; a queued job is only a
doorbell. Without Redis the web process runs the jobs itself (InProcessJobs); with Redis,
arq workers run them (ArqJobs enqueues, server/worker.py executes). Either way a periodic
sweep picks up every row that is due, so a lost job or a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from federation import jobs as federation_jobs
from federation.runtime import Federation
from server.clock import Clock
from server.db import Sessions
from server.services import media_files, publishing

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
#: Media nothing holds waits a day; looking for it hourly is plenty.
MEDIA_SWEEP_SECONDS = 3600.0


async def publish_post(sessions: Sessions, clock: Clock, post_id: int) -> bool:
    """Job: publish one post whose pause is over. Safe to run any number of times."""
    async with sessions() as session:
        try:
            return await publishing.publish(session, post_id, clock.now())
        except Exception as exc:  # recorded on the row; the sweep retries it
            log.exception("publishing post %s failed", post_id)
            await session.rollback()
            await publishing.record_failure(session, post_id, repr(exc))
            return False


async def publish_due(sessions: Sessions, clock: Clock) -> int:
    """Job: publish every post that is due; returns how many were published."""
    async with sessions() as session:
        post_ids = await publishing.due(session, clock.now())
    count = 0
    for post_id in post_ids:
        count += await publish_post(sessions, clock, post_id)
    return count


async def sweep_media(sessions: Sessions, clock: Clock, media_dir: Path) -> int:
    """Job: remove media files no post, draft or profile holds after their grace period."""
    async with sessions() as session:
        return await media_files.sweep(session, media_dir, clock.now())


class InProcessJobs:
    """Runs jobs inside the web process: the embedded default, with no Redis."""

    def __init__(self, sessions: Sessions, clock: Clock, federation: Federation) -> None:
        self.sessions = sessions
        self.clock = clock
        self.federation = federation
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def schedule_publish(self, post_id: int, at: datetime) -> None:
        self._wake.set()

    async def run_due(self) -> int:
        """Publish what is due, then federate it (tests call this to drain the queue)."""
        published = await publish_due(self.sessions, self.clock)
        await federation_jobs.run_due(self.federation)
        await sweep_media(self.sessions, self.clock, self.federation.settings.media_dir)
        return published

    async def start(self) -> None:
        await publish_due(self.sessions, self.clock)
        # Two loops: a remote server that is slow to answer a delivery must not hold
        # up the next publish.
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="porch-publish"),
            asyncio.create_task(self._federation_loop(), name="porch-federation"),
            asyncio.create_task(self._media_loop(), name="porch-media"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _federation_loop(self) -> None:
        while True:
            try:
                done = await federation_jobs.run_due(self.federation)
            except Exception:
                log.exception("federation sweep failed; trying again shortly")
                done = 0
            if not done:
                await asyncio.sleep(SWEEP_SECONDS)

    async def _media_loop(self) -> None:
        while True:
            await asyncio.sleep(MEDIA_SWEEP_SECONDS)
            try:
                await sweep_media(self.sessions, self.clock, self.federation.settings.media_dir)
            except Exception:
                log.exception("media sweep failed; trying again in an hour")

    async def _publish_loop(self) -> None:
        while True:
            try:
                await publish_due(self.sessions, self.clock)
                async with self.sessions() as session:
                    upcoming = await publishing.next_run_at(session)
            except Exception:
                log.exception("job sweep failed; trying again shortly")
                upcoming = None
            wait = SWEEP_SECONDS
            if upcoming is not None:
                wait = min(wait, max(0.05, (upcoming - self.clock.now()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)


class ArqJobs:
    """Enqueues jobs on Redis for `porch worker` processes."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._pool: Any = None

    async def start(self) -> None:
        from arq import create_pool
        from arq.connections import RedisSettings

        self._pool = await create_pool(RedisSettings.from_dsn(self.redis_url))

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def schedule_publish(self, post_id: int, at: datetime) -> None:
        # A little after the pause, so the conditional publish never meets a post
        # whose time has not quite come; the job id keeps one job per post.
        try:
            await self._pool.enqueue_job(
                "publish_post",
                post_id,
                _job_id=f"publish:{post_id}",
                _defer_until=at + timedelta(milliseconds=50),
            )
        except Exception:
            log.exception("could not enqueue publish of %s; the sweep will publish it", post_id)
