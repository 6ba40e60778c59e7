"""SQLite statements go to aiosqlite's thread once each: what SQLAlchemy reads back (rows,
counts, new ids, errors) is what the plain driver gives, and a read makes one trip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import make_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with made.begin() as connection:
        await connection.execute(
            text("CREATE TABLE jars (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        )
    yield made
    await made.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call handed to a connection's thread from now on."""
    seen: list[Any] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_writes_answer_with_their_counts_ids_and_rows(engine: AsyncEngine) -> None:
    """Jars of jam are put up, relabelled and counted as with the plain driver."""
    async with engine.begin() as connection:
        one = await connection.execute(text("INSERT INTO jars (name) VALUES ('plum')"))
        many = await connection.execute(
            text("INSERT INTO jars (name) VALUES (:name)"), [{"name": "fig"}, {"name": "quince"}]
        )
        renamed = await connection.execute(text("UPDATE jars SET name = name || ' jam'"))
        returned = await connection.execute(
            text("INSERT INTO jars (name) VALUES ('pear') RETURNING id")
        )
    assert one.lastrowid == 1 and many.rowcount == 2 and renamed.rowcount == 3
    assert returned.scalar_one() == 4
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM jars ORDER BY id"))).scalars()
        assert names.all() == ["plum jam", "fig jam", "quince jam", "pear"]


async def test_an_error_is_the_drivers_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    """A second jar with the same label is refused; the next write on it succeeds."""
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO jars (name) VALUES ('plum')"))
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO jars (name) VALUES ('plum')"))
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO jars (name) VALUES ('fig')"))
        count = await connection.execute(text("SELECT count(*) FROM jars"))
        assert count.scalar_one() == 2


async def test_a_read_makes_one_trip_and_ending_it_none(
    engine: AsyncEngine, trips: list[Any]
) -> None:
    """A read on a warm connection: one trip for the statement; nothing to roll back, so
    no trip to end it. A write still commits on the thread."""
    async with engine.connect() as connection:  # the pool's connection made and warmed
        await connection.execute(text("SELECT 1"))
    trips.clear()
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT count(*) FROM jars"))
    assert rows.scalar_one() == 0
    assert len(trips) == 1

    trips.clear()
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO jars (name) VALUES ('plum')"))
    assert len(trips) == 2  # the insert, and its commit
