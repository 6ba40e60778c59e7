"""With Redis configured, `porch worker` (arq) publishes posts when their pause ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from starlette.applications import Starlette

from server import worker
from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.models import Post, PostState
from server.worker import worker_settings
from tests.conftest import REDIS_URL, Person, client_for, csrf_from, need_service


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
