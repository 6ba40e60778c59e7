"""With Redis configured, `porch worker` publishes posts when their pause ends, and waits
out Redis outages."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette

from server import jobs, worker
from server.app import create_app
from server.clock import Clock, FrozenClock
from server.config import Settings
from server.models import Post, PostState
from server.worker import worker_settings
from tests.conftest import (
    IN_CI,
    REDIS_URL,
    Person,
    client_for,
    csrf_from,
    need_service,
    sign_up,
)
from tests.test_outages import closed_port, eventually


@pytest.fixture
async def redis_settings(settings: Settings) -> AsyncIterator[Settings]:
    need_service("redis", REDIS_URL)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    yield settings.model_copy(update={"redis_url": REDIS_URL, "pause_post_seconds": 0})


@pytest.fixture
async def queued_app(redis_settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    application = create_app(redis_settings, clock=clock, apply_migrations=False)
    async with application.router.lifespan_context(application):
        yield application


async def ana_posts(app: Starlette, text: str) -> int:
    client = client_for(app)
    token = await csrf_from(client, "/signup")
    await client.post(
        "/signup",
        data={
            "username": "ana",
            "email": "ana@example.com",
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )
    ana = Person("ana", client)
    post_id = await ana.post(text)
    await client.aclose()
    return post_id


async def state_of(app: Starlette, post_id: int) -> str:
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return str(post.state)


async def run_worker_once(settings: Settings, clock: FrozenClock) -> None:
    worker = Worker(
        **worker_settings(settings, clock), burst=True, poll_delay=0.05, handle_signals=False
    )
    await worker.main()
    await worker.close()


async def test_the_worker_runs_the_enqueued_publish(queued_app, redis_settings, clock) -> None:
    post_id = await ana_posts(queued_app, "Sent through the queue")
    assert await state_of(queued_app, post_id) == PostState.pending
    redis = Redis.from_url(REDIS_URL)
    assert await redis.exists(f"arq:job:publish:{post_id}") == 1
    await redis.aclose()
    await run_worker_once(redis_settings, clock)
    assert await state_of(queued_app, post_id) == PostState.published


async def test_the_sweep_publishes_when_the_job_is_lost(queued_app, redis_settings, clock) -> None:
    post_id = await ana_posts(queued_app, "The doorbell broke")
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()  # Redis lost everything; the database row remains
    await redis.aclose()
    clock.advance(1)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(redis_settings, stop, clock))
    try:
        async with asyncio.timeout(20):  # the worker's sweep runs as it starts
            while await state_of(queued_app, post_id) != PostState.published:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running


async def test_login_limits_are_shared_through_redis(redis_settings) -> None:
    """Two web processes with the same Redis count the same attempts."""
    from server.ratelimit import RateLimits

    first = RateLimits(REDIS_URL, 2)
    second = RateLimits(REDIS_URL, 2)
    assert await first.login_attempt("192.0.2.1", "ana") == 0
    assert await second.login_attempt("192.0.2.1", "ana") == 0
    assert await first.login_attempt("192.0.2.1", "ana") > 0
    await first.close()
    await second.close()


REDIS_SERVER = Path("/usr/bin/redis-server")


class RedisServer:
    """A throwaway redis-server of the test's own, on a loopback port, that the test
    stops and starts again (empty, as a Redis without persistence comes back)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = closed_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            await eventually(lambda: _answers(client), "redis-server answers")
        finally:
            await client.aclose()

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


async def _answers(client: Redis) -> bool:
    try:
        return bool(await client.ping())
    except RedisError:
        return False


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    if not REDIS_SERVER.exists():
        message = f"{REDIS_SERVER} is not installed"
        if IN_CI:
            pytest.fail(f"{message}; CI must run every test", pytrace=False)
        pytest.skip(message)
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_worker_waits_out_a_redis_outage(
    settings: Settings, redis_server: RedisServer, tmp_path: Path
) -> None:
    """`porch worker` takes Ana's publish job from the queue; Redis dies; Ben's post is
    accepted and published anyway by the worker's database sweep; Redis comes back
    (empty) and the worker takes Cleo's job, enqueued by a web process started since,
    from the queue again, having said once that Redis went and
    once that it came back."""
    configured = settings.model_copy(
        update={"redis_url": redis_server.url, "pause_post_seconds": 0}
    )
    app = create_app(configured, clock=Clock(), apply_migrations=False)
    log_file = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
    env.update(
        PORCH_DATA_DIR=str(tmp_path / "data"),
        PORCH_DATABASE_URL=configured.database_url,
        PORCH_REDIS_URL=redis_server.url,
        PORCH_DOMAIN="localhost:8000",
        PORCH_SECRET_KEY=configured.secret_key,
        PYTHONUNBUFFERED="1",
    )
    with log_file.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "worker"], env=env, stdout=out, stderr=out
        )
    redis = Redis.from_url(redis_server.url)

    def said(text: str) -> int:
        return log_file.read_text().count(text)

    async def alive() -> bool:
        assert worker.poll() is None, log_file.read_text()
        return True

    async def logged(text: str) -> bool:
        return await alive() and said(text) > 0

    async def job_done(post_id: int) -> bool:
        await alive()
        return bool(await redis.exists(f"arq:result:publish:{post_id}"))

    try:
        async with app.router.lifespan_context(app):
            ana, ben, cleo = [
                await sign_up(client_for(app), name) for name in ("ana", "ben", "cleo")
            ]

            first = await ana.post("Before the outage")
            await eventually(lambda: job_done(first), "the worker ran Ana's publish job")
            assert await state_of(app, first) == PostState.published

            redis_server.stop()
            await eventually(
                lambda: logged("Redis is unreachable"), "the worker noticed Redis went"
            )
            second = await ben.post("During the outage")  # accepted: the row is the truth
            await eventually(
                lambda: _published(app, second), "the sweep published Ben's post", seconds=20
            )
            assert await alive()

            await redis_server.start()
            await eventually(lambda: logged("Redis is reachable again"), "the worker reconnected")
            third = await cleo.post("After the outage")
            # This web process skips Redis for a while after failing to reach it (the
            # sweep does not need the doorbell); a web process started since rings it.
            doorbell = jobs.ArqJobs(redis_server.url)
            await doorbell.start()
            await doorbell.schedule_publish(third, Clock().now())
            await doorbell.stop()
            await eventually(lambda: job_done(third), "the worker took a job again")
            assert await state_of(app, third) == PostState.published
            for person in (ana, ben, cleo):
                await person.client.aclose()
    finally:
        await redis.aclose()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 0, log_file.read_text()
    assert said("Redis is unreachable") == 1
    assert said("Redis is reachable again") == 1
    assert "Traceback" not in log_file.read_text()


async def _published(app: Starlette, post_id: int) -> bool:
    return await state_of(app, post_id) == PostState.published
