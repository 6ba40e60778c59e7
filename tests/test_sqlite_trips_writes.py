"""On SQLite each statement is one trip to aiosqlite's thread, with the same answers the
stock adapter gives: rows, rowcounts (RETURNING included), many rows inserted at once,
errors as SQLAlchemy's, and a transaction that rolls back as one.

The trips are counted by wrapping aiosqlite's one door to its thread
(`Connection._execute`); the stock adapter takes three or four for a SELECT.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import make_engine


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    made = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with made.begin() as connection:
        await connection.execute(text("CREATE TABLE tea (id INTEGER PRIMARY KEY, name TEXT)"))
        await connection.execute(text("CREATE UNIQUE INDEX tea_name ON tea (name)"))
    yield made
    await made.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of each function sent to aiosqlite's thread while a test runs."""
    sent: list[str] = []
    door = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await door(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield sent


async def test_a_select_is_one_trip_and_brings_its_rows(engine: AsyncEngine, trips: list) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO tea (name) VALUES ('mint'), ('sencha')"))
        trips.clear()
        rows = await connection.execute(text("SELECT name FROM tea ORDER BY name"))
        assert len(trips) == 1
        assert rows.scalars().all() == ["mint", "sencha"]


async def test_writes_report_their_rowcount_and_returning_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO tea (name) VALUES ('mint'), ('sencha'), ('rooibos')")
        )
        assert inserted.rowcount == 3
        renamed = await connection.execute(
            text("UPDATE tea SET name = name || '!' WHERE name != 'mint' RETURNING id")
        )
        assert sorted(renamed.scalars().all()) == [2, 3]
        unchanged = await connection.execute(text("UPDATE tea SET name = 'x' WHERE id = 99"))
        assert unchanged.rowcount == 0


async def test_many_rows_in_one_statement_are_one_trip(engine: AsyncEngine, trips: list) -> None:
    async with engine.begin() as connection:
        trips.clear()
        await connection.execute(
            text("INSERT INTO tea (name) VALUES (:name)"),
            [{"name": "mint"}, {"name": "sencha"}, {"name": "hojicha"}],
        )
        assert len(trips) == 1
        count = await connection.execute(text("SELECT count(*) FROM tea"))
        assert count.scalar_one() == 3


async def test_an_error_is_sqlalchemys_and_the_transaction_rolls_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO tea (name) VALUES ('mint')"))
            await connection.execute(text("INSERT INTO tea (name) VALUES ('mint')"))
    async with engine.connect() as connection:
        count = await connection.execute(text("SELECT count(*) FROM tea"))
        assert count.scalar_one() == 0  # the first insert went with the second
