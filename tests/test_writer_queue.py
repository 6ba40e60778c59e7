"""On SQLite, writers in one process take turns instead of waiting in SQLite's busy
handler: many posts at once all succeed, readers never wait, and a session left open
cannot stop writes for ever. PostgreSQL has no queue.

The busy handler is switched off in these tests (busy_timeout=0), so a write that met
another transaction's lock would fail at once with "database is locked": every write
passing shows that none ever did.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, exc, func, text
from sqlmodel import select
from starlette.applications import Starlette

from server import writer_queue
from server.clock import FrozenClock
from server.models import Post
from server.services import accounts
from server.writer_queue import WriterQueue
from tests.conftest import PASSWORD
from tests.test_exactly_once import bearer

NAMES = ["ana", "ben", "cai", "dee", "eli"]


async def without_busy_handler(app: Starlette) -> None:
    """SQLite now fails a write that meets a lock instead of sleeping and retrying."""

    def no_waiting(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    engine = app.state.engine
    event.listen(engine.sync_engine, "connect", no_waiting)
    await engine.dispose()  # connections opened so far had the handler


async def members(app: Starlette, clock: FrozenClock) -> None:
    async with app.state.sessions() as session:
        for name in NAMES:
            await accounts.create_member(
                session,
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
                now=clock.now(),
            )


async def test_many_posts_at_once_all_succeed_taking_turns(
    app: Starlette, clock: FrozenClock, database_url: str
) -> None:
    """Five members' apps post four times each, all at the same moment."""
    await members(app, clock)
    queue = writer_queue.queue_of(app.state.engine)
    if not database_url.startswith("sqlite"):
        assert queue is None  # PostgreSQL's writers need no queue
    else:
        assert queue is not None
        await without_busy_handler(app)
        turns_before = queue.turns
    clients = [await bearer(app, name, clock) for name in NAMES]
    try:
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/statuses", data={"status": f"Note {n} from {name}"})
                for n in range(4)
                for name, client in zip(NAMES, clients, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    async with app.state.sessions() as session:
        assert (await session.exec(select(func.count()).select_from(Post))).one() == 20
    if queue is not None:
        assert queue.turns - turns_before >= 20  # each post's transaction took a turn


async def test_a_reader_never_waits_and_the_next_writer_waits_for_the_commit(
    app: Starlette, clock: FrozenClock, database_url: str
) -> None:
    """Ana's session writes and has not committed: Ben reads at once, Cai's write waits
    its turn (and does not fail), then goes in after Ana's commit."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the writer queue is SQLite's")
    await members(app, clock)
    await without_busy_handler(app)
    renamed = text("UPDATE actors SET display_name = :name WHERE username = :who")
    async with app.state.sessions() as ana:
        await (await ana.connection()).execute(renamed, {"name": "Ana Lima", "who": "ana"})

        async def cai_writes() -> None:
            async with app.state.sessions() as cai:
                await (await cai.connection()).execute(renamed, {"name": "Cai", "who": "cai"})
                await cai.commit()

        cai = asyncio.create_task(cai_writes())
        async with app.state.sessions() as ben:
            found = await accounts.local_actor(ben, "ana")
            assert found.display_name != "Ana Lima"  # not committed yet
        assert not cai.done()  # waiting for its turn, not failing
        await ana.commit()
    await cai
    async with app.state.sessions() as session:
        assert (await accounts.local_actor(session, "cai")).display_name == "Cai"


async def test_a_connection_lost_mid_write_gives_its_turn_back(
    app: Starlette, clock: FrozenClock, database_url: str
) -> None:
    """Ana's connection breaks after she wrote: her turn ends with it, so Cai writes."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the writer queue is SQLite's")
    await members(app, clock)
    await without_busy_handler(app)
    renamed = text("UPDATE actors SET display_name = :name WHERE username = :who")
    async with app.state.sessions() as ana:
        connection = await ana.connection()
        await connection.execute(renamed, {"name": "Ana Lima", "who": "ana"})
        await connection.invalidate()
    async with app.state.sessions() as cai:
        await (await cai.connection()).execute(renamed, {"name": "Cai", "who": "cai"})
        await cai.commit()
    async with app.state.sessions() as session:
        assert (await accounts.local_actor(session, "cai")).display_name == "Cai"
        assert (await accounts.local_actor(session, "ana")).display_name != "Ana Lima"


async def test_a_session_left_open_stops_writes_only_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A turn is waited for at most the wait, then refused as SQLite would refuse it
    (answered 503); a turn held past the lease passes to the next writer."""
    queue = WriterQueue(wait_seconds=0.01)
    forgotten, next_one = object(), object()
    await queue.take(forgotten)
    with pytest.raises(exc.OperationalError, match="database is locked"):
        await queue.take(next_one)
    monkeypatch.setattr(writer_queue, "LEASE_SECONDS", 0.0)
    await queue.take(next_one)  # the forgotten session's turn has passed on
    queue.give_back(forgotten)  # too late: changes nothing
    queue.give_back(next_one)
    await queue.take(forgotten)  # free again
    assert queue.turns == 3
