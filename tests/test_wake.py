"""An idle server sleeps: each sweep sleeps until its next row is due, and a change that
makes work due sooner wakes it, in this process or, through Redis, in another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server import jobs
from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.jobs import DEGRADED_SECONDS, MIN_SECONDS, RETRY_SECONDS, SAFETY_SECONDS, pause
from server.models import Delivery, DeliveryState, OutboxItem, OutboxKind, Post, PostState
from server.services import due
from server.worker import close_resources, open_resources
from tests.conftest import client_for, sign_up
from tests.test_jobs_redis import ana_posts, redis_settings, state_of  # noqa: F401
from tests.test_outages import eventually


def test_a_sweep_sleeps_until_its_next_row_is_due_within_the_safety_bound() -> None:
    clock = FrozenClock()
    now = clock.now()
    later = now + timedelta(seconds=12.5)
    assert pause(now, None, done=0, degraded=False) == SAFETY_SECONDS
    assert pause(now, later, done=0, degraded=False) == 12.5
    assert pause(now, now + timedelta(hours=2), done=0, degraded=False) == SAFETY_SECONDS
    assert pause(now, now + timedelta(microseconds=1), done=0, degraded=False) == MIN_SECONDS
    # It just did something: it may have stopped at its batch size, so it looks again.
    assert pause(now, None, done=3, degraded=False) == 0
    # Due, yet nothing could be done (a failing row): again shortly, not in a busy loop.
    assert pause(now, now - timedelta(seconds=5), done=0, degraded=False) == RETRY_SECONDS
    # Other processes cannot wake it (Redis away): it looks as often as it used to.
    assert pause(now, None, done=0, degraded=True) == DEGRADED_SECONDS
    assert pause(now, later, done=0, degraded=True) == DEGRADED_SECONDS


async def test_the_next_due_moments_are_read_from_the_rows(app, clock, people) -> None:
    """Nothing waits; Ana's post waits out its pause; once published, its outbox row is
    due at once; once fanned out, a delivery waiting to be retried sets the time."""
    async with app.state.sessions() as session:
        assert await due.next_publish(session, clock.now()) is None
        assert await due.next_federation(session, clock.now()) is None

    post_id = await people["ana"].post("Good morning, porch")
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        assert await due.next_publish(session, clock.now()) == post.publish_at
        assert await due.next_federation(session, clock.now()) is None

    clock.advance(30)
    assert await jobs.publish_due(app.state.sessions, clock) == 1
    async with app.state.sessions() as session:
        assert await due.next_publish(session, clock.now()) is None
        assert await due.next_federation(session, clock.now()) == clock.now()

    await app.state.jobs.run_due()  # fanned out: nobody remote follows Ana
    retry_at = clock.now() + timedelta(seconds=31)
    async with app.state.sessions() as session:
        assert await due.next_federation(session, clock.now()) is None
        item = (await session.exec(select(OutboxItem))).first()
        assert item is not None and item.fanned_out_at is not None
        for state, at in (
            (DeliveryState.pending, retry_at),
            (DeliveryState.pending, retry_at + timedelta(hours=1)),
            (DeliveryState.failed, clock.now()),  # finished rows are never due
            (DeliveryState.delivered, clock.now()),
        ):
            session.add(
                Delivery(
                    outbox_item_id=item.id,
                    actor_id=item.actor_id,
                    inbox_url="https://far.example/inbox",
                    domain="far.example",
                    body="{}",
                    state=state,
                    created_at=clock.now(),
                    next_attempt_at=at,
                )
            )
        await session.commit()
        assert await due.next_federation(session, clock.now()) == retry_at


async def test_work_made_in_a_commit_announces_itself_once(app, clock, people) -> None:
    """Publishing Ana's post adds an outbox row: its commit wakes the federation sweep,
    once; a rolled-back change wakes nothing."""
    await people["ana"].post("One")
    await people["ana"].post("Two")
    clock.advance(30)
    with app.state.bus.listen() as listener:
        assert await jobs.publish_due(app.state.sessions, clock) == 2
        async with app.state.sessions() as session:
            due.announce_work(session, due.FEDERATION)
            due.announce_work(session, due.FEDERATION)
            await session.rollback()
        heard = [e for e in listener.pending() if e.kind == due.work_due(due.FEDERATION).kind]
    assert heard == [due.work_due(due.FEDERATION)] * 2  # one per publish, none rolled back


@pytest.fixture
async def running_app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    """A Porch whose sweeps run in the web process, as in the embedded default."""
    application = create_app(settings, clock=clock, apply_migrations=False, run_jobs=True)
    async with application.router.lifespan_context(application):
        yield application


async def test_an_idle_server_sleeps_until_work_wakes_it(running_app, clock) -> None:
    """With nothing to do, every sweep sleeps the whole safety bound. Ana's post sets the
    publish sweep's alarm to the end of her pause; publishing it wakes the federation
    sweep at once, which fans it out and goes back to sleep."""
    app = running_app
    sweeps = app.state.jobs

    async def idle() -> bool:
        return sweeps.waits == dict.fromkeys(due.QUEUES, SAFETY_SECONDS)

    await eventually(idle, "every sweep sleeps the safety bound")
    ana = await sign_up(client_for(app), "ana")
    post_id = await ana.post("Off to the market")

    async def alarm_set() -> bool:
        return sweeps.waits.get(due.PUBLISH) == 30.0

    await eventually(alarm_set, "the publish sweep sleeps until Ana's pause ends")

    clock.advance(30)
    # Published from here (the sweep itself sleeps 30 real seconds on a frozen clock):
    # the commit wakes the federation sweep in the app, well within its safety bound.
    assert await jobs.publish_due(app.state.sessions, clock) == 1

    async def fanned_out() -> bool:
        async with app.state.sessions() as session:
            rows = await session.exec(
                select(OutboxItem).where(
                    col(OutboxItem.post_id) == post_id, col(OutboxItem.kind) == OutboxKind.create
                )
            )
            item = rows.first()
            return item is not None and item.fanned_out_at is not None

    await eventually(fanned_out, "the woken federation sweep fanned the post out", seconds=10)

    async def federation_asleep() -> bool:
        return sweeps.waits.get(due.FEDERATION) == SAFETY_SECONDS

    await eventually(federation_asleep, "the federation sweep sleeps again")
    await ana.client.aclose()


async def test_a_post_on_one_process_wakes_a_worker_in_another(
    redis_settings: Settings,  # noqa: F811
    clock: FrozenClock,
) -> None:
    """A worker's sweeps sleep the safety bound; Ana posts through a web process with no
    pause; the web process's event reaches the worker through Redis, and the worker's
    sweep publishes the post without waiting out its bound (no queue worker runs)."""
    # Bounded: a wait that never ends fails here, with the await it was stuck in.
    async with asyncio.timeout(60):
        web = create_app(redis_settings, clock=clock, apply_migrations=False)
        resources = await open_resources(redis_settings, clock)
        sweeps = jobs.InProcessJobs(
            resources["sessions"], clock, resources["federation"], resources["bus"]
        )
        try:
            async with web.router.lifespan_context(web):
                await asyncio.wait_for(resources["bus"].subscribed.wait(), 10)
                await sweeps.start()

                async def idle() -> bool:
                    return sweeps.waits.get(due.PUBLISH) == SAFETY_SECONDS

                await eventually(idle, "the worker's publish sweep sleeps", seconds=10)
                post_id = await ana_posts(web, "Heard across processes")

                async def published() -> bool:
                    return await state_of(web, post_id) == PostState.published

                await eventually(published, "the worker published it", seconds=10)
        finally:
            await sweeps.stop()
            await close_resources(resources)


async def test_stopping_as_a_sweep_is_woken_still_ends_every_sweep(running_app) -> None:
    """The server stops in the very moment Ana's post wakes the publish sweep: Python
    3.11's wait_for then returns from the wake-up and drops the cancel, yet the sweeps end
    and the stop returns (before, the stop waited for ever on the sweep)."""
    sweeps = running_app.state.jobs

    async def asleep() -> bool:
        return due.PUBLISH in sweeps.waits and due.FEDERATION in sweeps.waits

    await eventually(asleep, "both sweeps are asleep")
    for wake in sweeps._wakes.values():
        wake.set()  # the wake-up and the cancel below meet in one turn of the loop
    stopping = asyncio.create_task(sweeps.stop())
    done, _ = await asyncio.wait({stopping}, timeout=10)
    if not done:  # the sweep dropped the cancel: cancel again so the test can end
        for task in sweeps._tasks:
            task.cancel()
        await stopping
    assert done and all(task.done() for task in sweeps._tasks)
