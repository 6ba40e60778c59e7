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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federation import jobs as federation_jobs
from federation.runtime import Federation
from server.bus import LocalBus, RedisBus
from server.clock import Clock
from server.config import Settings
from server.db import Sessions, unavailable
from server.mail import Mailer, mailer_for, send_due
from server.outages import Outage, redis_errors
from server.services import care_upkeep as care_upkeep_service
from server.services import due, media_files, publishing
from server.services.events import EventKind

if TYPE_CHECKING:
    from arq.connections import RedisSettings
    from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

#: The longest a sweep sleeps when nothing is due. Sweeps wake when a change makes work
#: due (an event, from this process or through Redis from another), so this bound only
#: matters when a wake-up was lost (a Redis message dropped while reconnecting, a row
#: written by a tool that announces nothing): the database is the truth, and such work
#: waits at most a minute. A minute of idle costs one cheap query per sweep.
SAFETY_SECONDS = 60.0
#: While events from other processes cannot arrive (Redis away), the sweeps look this
#: often instead, so work created elsewhere still goes out on time.
DEGRADED_SECONDS = 1.0
#: Something was due but nothing could be done (a failing row, the database away):
#: try again after this long rather than at once.
RETRY_SECONDS = 1.0
#: Never sleep less than this before a due time (clocks and rounding).
MIN_SECONDS = 0.05
#: Media nothing holds waits a day; looking for it hourly is plenty.
MEDIA_SWEEP_SECONDS = 3600.0
#: Care follow-ups fall due by the day (48 hours, 7 days): hourly is plenty.
CARE_SWEEP_SECONDS = 3600.0
#: Enqueueing waits this long for Redis at most, and after a failure skips it for
#: RETRY_REDIS_SECONDS: a post is accepted without the doorbell.
ENQUEUE_SECONDS = 2.0
RETRY_REDIS_SECONDS = 10.0


async def publish_post(sessions: Sessions, clock: Clock, post_id: int) -> bool:
    """Job: publish one post whose pause is over. Safe to run any number of times."""
    async with sessions() as session:
        try:
            return await publishing.publish(session, post_id, clock.now())
        except Exception as exc:  # recorded on the row; the sweep retries it
            if unavailable(exc):
                raise  # nothing can be recorded while the database is away
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


async def care_upkeep(sessions: Sessions, clock: Clock, settings: Settings) -> int:
    """Job: what followed each moment of care, then retention; how many rows it settled."""
    async with sessions() as session:
        done = await care_upkeep_service.run(session, settings, clock.now())
    return done.followed_up + done.folded


def pause(now: datetime, upcoming: datetime | None, *, done: int, degraded: bool) -> float:
    """Seconds a sweep sleeps before looking again (unless woken sooner), given when its
    next row is due (`upcoming`, None if none waits) and how much it just did."""
    if done:
        return 0.0  # it may have stopped at its batch size: look again at once
    bound = DEGRADED_SECONDS if degraded else SAFETY_SECONDS
    if upcoming is None:
        return bound
    wait = (upcoming - now).total_seconds()
    if wait <= 0:
        return min(bound, RETRY_SECONDS)  # due, yet nothing could be done just now
    return min(bound, max(MIN_SECONDS, wait))


class InProcessJobs:
    """Runs jobs and the sweeps in this process: the web process's in the embedded default
    (no Redis), and every `porch worker`'s, which must go on while Redis is away.

    Each sweep sleeps until its next row is due (server/services/due.py), or until the
    bus says a change made work due sooner, and at most SAFETY_SECONDS. Without a bus,
    or while Redis is away, it looks every DEGRADED_SECONDS as well.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        federation: Federation,
        bus: LocalBus | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.mailer = mailer if mailer is not None else mailer_for(federation.settings)
        self.clock = clock
        self.federation = federation
        self.bus = bus
        self._wakes = {queue: asyncio.Event() for queue in due.QUEUES}
        #: How long each sweep chose to sleep last (seconds), for the curious and tests.
        self.waits: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._database = Outage(log, "The database", "the sweeps try again every second")

    async def schedule_publish(self, post_id: int, at: datetime) -> None:
        self._wakes[due.PUBLISH].set()

    async def run_due(self) -> int:
        """Publish what is due, then federate it (tests call this to drain the queue)."""
        published = await publish_due(self.sessions, self.clock)
        await federation_jobs.run_due(self.federation)
        await sweep_media(self.sessions, self.clock, self.federation.settings.media_dir)
        await self._mail()
        await care_upkeep(self.sessions, self.clock, self.federation.settings)
        return published

    async def start(self) -> None:
        self._stopping = False
        with self._failures("job sweep"):  # the database may be away at start
            await publish_due(self.sessions, self.clock)
        # One loop per sweep: a remote server that is slow to answer a delivery must not
        # hold up the next publish.
        self._tasks = [
            asyncio.create_task(
                self._loop(due.PUBLISH, self._publish, due.next_publish), name="porch-publish"
            ),
            asyncio.create_task(
                self._loop(due.FEDERATION, self._federate, due.next_federation),
                name="porch-federation",
            ),
            asyncio.create_task(self._loop(due.MAIL, self._mail, due.next_mail), name="porch-mail"),
            asyncio.create_task(self._media_loop(), name="porch-media"),
            asyncio.create_task(self._care_loop(), name="porch-care"),
        ]
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="porch-wake"))
        if isinstance(self.bus, RedisBus):
            self._tasks.append(asyncio.create_task(self._watch(self.bus), name="porch-redis"))

    async def stop(self) -> None:
        # Python 3.11's wait_for returns instead of raising when the cancel meets a
        # wake-up in the same turn of the loop (fixed in 3.12), and the sweep would go on:
        # a sweep told to stop also sees the flag, and is woken to see it.
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        self._wake_all()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def degraded(self) -> bool:
        """Whether other processes' wake-ups may be missed: no bus, or Redis away."""
        if self.bus is None:
            return True
        return isinstance(self.bus, RedisBus) and not self.bus.subscribed.is_set()

    async def _publish(self) -> int:
        return await publish_due(self.sessions, self.clock)

    async def _mail(self) -> int:
        return await send_due(self.sessions, self.clock, self.mailer)

    async def _federate(self) -> int:
        return await federation_jobs.run_due(self.federation)

    async def _loop(
        self,
        queue: str,
        sweep: Callable[[], Awaitable[int]],
        next_due: Callable[[AsyncSession, datetime], Awaitable[datetime | None]],
    ) -> None:
        wake = self._wakes[queue]
        while not self._stopping:
            # Cleared before looking: a wake-up during the sweep makes it look again.
            wake.clear()
            wait = RETRY_SECONDS
            with self._failures(f"{queue} sweep"):
                done = await sweep()
                async with self.sessions() as session:
                    upcoming = await next_due(session, self.clock.now())
                wait = pause(self.clock.now(), upcoming, done=done, degraded=self.degraded())
            self.waits[queue] = wait
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=wait)

    async def _listen(self) -> None:
        """Wake a sweep when a change, here or in another process, made its work due."""
        assert self.bus is not None
        with self.bus.listen() as listener:
            async for event in listener:
                if listener.overflowed:  # some wake-ups were dropped: look everywhere
                    listener.overflowed = False
                    self._wake_all()
                if event.kind is EventKind.work_due and event.topic in self._wakes:
                    self._wakes[event.topic].set()

    async def _watch(self, bus: RedisBus) -> None:
        """Wake the sweeps when Redis goes (to look every DEGRADED_SECONDS meanwhile) and
        when it is back (wake-ups sent while it was away were lost)."""
        while True:
            await bus.unsubscribed.wait()
            self._wake_all()
            await bus.subscribed.wait()
            self._wake_all()

    def _wake_all(self) -> None:
        for wake in self._wakes.values():
            wake.set()

    async def _media_loop(self) -> None:
        while True:
            await asyncio.sleep(MEDIA_SWEEP_SECONDS)
            with self._failures("media sweep"):
                await sweep_media(self.sessions, self.clock, self.federation.settings.media_dir)

    async def _care_loop(self) -> None:
        while True:
            with self._failures("care upkeep"):
                await care_upkeep(self.sessions, self.clock, self.federation.settings)
            await asyncio.sleep(CARE_SWEEP_SECONDS)

    @contextlib.contextmanager
    def _failures(self, sweep: str) -> Iterator[None]:
        """Keep a sweep going through failures: a database outage is logged when it
        starts and ends, anything else each time, and the sweep tries again shortly."""
        try:
            yield
        except Exception as exc:
            if unavailable(exc):
                self._database.lost(exc)
            else:
                log.exception("%s failed; trying again shortly", sweep)
        else:
            self._database.back()


class ArqJobs:
    """Enqueues jobs on Redis for `porch worker` processes.

    Redis is only the doorbell: while it is away, posts are still accepted (their rows
    are the truth) and the worker's database sweep publishes them, so enqueueing fails
    quietly, with one log line when Redis goes and one when it comes back.
    """

    def __init__(self, redis_url: str, bus: LocalBus | None = None) -> None:
        self.redis_url = redis_url
        self.bus = bus
        self._pool: Any = None
        self._redis = Outage(
            log,
            "Redis",
            "posts wait for the worker's database sweep",
            retry_seconds=RETRY_REDIS_SECONDS,
        )

    async def start(self) -> None:
        await self._connected()  # early, to say so at start if Redis is away

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def _connected(self) -> Any:
        if self._pool is None:
            from arq import create_pool

            try:
                self._pool = await create_pool(redis_settings(self.redis_url))
            except redis_errors() as exc:
                self._redis.lost(exc)
                return None
        return self._pool

    async def reachable(self, timeout: float) -> bool:
        """Whether Redis answers a ping within `timeout` seconds (for the health check)."""
        try:
            async with asyncio.timeout(timeout):
                pool = await self._connected()
                return pool is not None and bool(await pool.ping())
        except redis_errors():  # asyncio's TimeoutError is an OSError
            return False

    async def schedule_publish(self, post_id: int, at: datetime) -> None:
        if self.bus is not None:
            # The workers' publish sweeps learn the new due time; the job below is the
            # doorbell for a worker that missed it.
            self.bus.emit([due.work_due(due.PUBLISH)])
        # A little after the pause, so the conditional publish never meets a post
        # whose time has not quite come; the job id keeps one job per post.
        if not self._redis.worth_trying():
            return
        try:
            async with asyncio.timeout(ENQUEUE_SECONDS):
                pool = await self._connected()
                if pool is None:
                    return
                await pool.enqueue_job(
                    "publish_post",
                    post_id,
                    _job_id=f"publish:{post_id}",
                    _defer_until=at + timedelta(milliseconds=50),
                )
        except redis_errors() as exc:  # TimeoutError is an OSError
            self._redis.lost(exc)
        except Exception:
            log.exception("could not enqueue publish of %s; the sweep will publish it", post_id)
        else:
            self._redis.back()


def redis_settings(redis_url: str) -> RedisSettings:
    """arq's connection settings: fail fast and let the caller decide when to try again
    (arq's own retries sleep a second at a time, five times, then raise anyway)."""
    from arq.connections import RedisSettings  # only with Redis: the default never loads it

    return replace(RedisSettings.from_dsn(redis_url), conn_timeout=2, conn_retries=0)
