"""Committed changes reach listeners: in one process, and through Redis between processes."""

from __future__ import annotations

import asyncio

import pytest

from server.bus import LocalBus, RedisBus
from server.db import make_engine, make_sessions
from server.services.events import Event, EventKind, announce
from tests.conftest import REDIS_URL, need_service

PUBLISHED = Event(EventKind.post_published, 7)
DELETED = Event(EventKind.post_deleted, 8, audience=(1, 2))


async def test_events_go_out_on_commit_and_are_dropped_on_rollback(database_url: str) -> None:
    bus = LocalBus()
    engine = make_engine(database_url)
    sessions = make_sessions(engine, bus)
    try:
        with bus.listen() as listener:
            async with sessions() as session:
                await session.connection()  # a transaction to commit
                announce(session, PUBLISHED)
                assert listener.pending() == []  # nothing before the commit
                await session.commit()
            assert listener.pending() == [PUBLISHED]
            async with sessions() as session:
                await session.connection()  # a transaction to commit
                announce(session, DELETED)
                await session.rollback()
                await session.commit()
            assert listener.pending() == []
        assert bus.listeners == 0
    finally:
        await engine.dispose()


def test_a_listener_that_falls_behind_is_told_so() -> None:
    bus = LocalBus()
    with bus.listen(size=2) as listener:
        bus.emit([PUBLISHED, DELETED, PUBLISHED])
        assert listener.overflowed
        assert listener.pending() == [PUBLISHED, DELETED]


def test_events_survive_the_wire_and_refuse_anything_else() -> None:
    assert Event.decode(DELETED.encode()) == DELETED
    for junk in ("", "[]", '["nope", 1, [], ""]', '["post.deleted", "x", [], ""]'):
        with pytest.raises(ValueError):
            Event.decode(junk)


async def test_another_process_hears_an_event_through_redis_once() -> None:
    need_service("redis", REDIS_URL)
    one, two = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    await one.start()
    await two.start()
    try:
        await asyncio.wait_for(one.subscribed.wait(), 5)
        await asyncio.wait_for(two.subscribed.wait(), 5)
        with one.listen() as here, two.listen() as there:
            one.emit([DELETED])
            assert await asyncio.wait_for(there.get(), 5) == DELETED
            assert here.pending() == [DELETED]  # at once, and not again from Redis
            two.emit([PUBLISHED])
            assert await asyncio.wait_for(here.get(), 5) == PUBLISHED
            await asyncio.sleep(0.2)
            assert here.pending() == [] and there.pending() == [PUBLISHED]
    finally:
        await one.stop()
        await two.stop()


async def test_instances_on_other_redis_databases_do_not_hear_each_other() -> None:
    need_service("redis", REDIS_URL)
    base = REDIS_URL.rsplit("/", 1)[0]
    one, two = RedisBus(f"{base}/14"), RedisBus(f"{base}/15")
    await one.start()
    await two.start()
    try:
        await asyncio.wait_for(two.subscribed.wait(), 5)
        with two.listen() as there:
            one.emit([DELETED])
            await asyncio.sleep(0.3)
            assert there.pending() == []
    finally:
        await one.stop()
        await two.stop()


def test_a_failing_watcher_neither_stops_delivery_nor_reaches_the_committer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = LocalBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("a bug in one cache")

    bus.watch(broken)
    bus.watch(seen.append)
    with bus.listen() as listener:
        bus.emit([PUBLISHED])
        assert listener.pending() == [PUBLISHED]
    assert seen == [PUBLISHED]
    assert "a watcher failed" in caplog.text
