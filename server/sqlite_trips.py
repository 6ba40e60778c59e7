"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy's adapter makes
four calls for each statement (open a cursor, execute, fetch all rows, close), each a
hand-over to that thread and back to the event loop: on a page of a few small reads the
hand-overs cost more than SQLite's work. The cursor here does all four in one call, and
keeps the rows, the description and the counts it read for the adapter to ask for; and
ending a transaction that never began (every read-only request) makes no trip at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite


class OneTripCursor:
    """What SQLAlchemy's aiosqlite adapter uses of a cursor, each statement read whole in
    one call on the connection's thread."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> OneTripCursor:
        return await self._run(lambda cursor: cursor.execute(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return await self._run(lambda cursor: cursor.executemany(sql, parameters))

    async def _run(self, work: Callable[[sqlite3.Cursor], object]) -> OneTripCursor:
        found = await self._connection.in_thread(partial(_whole, work, self._connection))
        self.description, self._rows, self.rowcount, self.lastrowid = found
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


def _whole(
    work: Callable[[sqlite3.Cursor], object], connection: OneTripConnection
) -> tuple[Any, list[Any], int, int | None]:
    """On the connection's thread: run `work` on a new cursor, read every row, close it."""
    cursor = connection.sqlite().cursor()
    try:
        work(cursor)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripConnection:
    """An aiosqlite connection whose cursors read a statement in one call; everything
    else is aiosqlite's own."""

    def __init__(self, inner: aiosqlite.Connection) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def cursor(self) -> OneTripCursor:
        return OneTripCursor(self)

    async def commit(self) -> None:
        # Ending a transaction that never began (a read: SQLite begins one only for a
        # write) does nothing in sqlite3, and needs no trip to the thread. No statement
        # runs meanwhile: SQLAlchemy awaits each one before it ends the transaction.
        if self._inner._conn.in_transaction:
            await self._inner.commit()

    async def rollback(self) -> None:
        if self._inner._conn.in_transaction:
            await self._inner.rollback()

    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection (only to be used on the connection's thread)."""
        return self._inner._conn

    def in_thread(self, function: Callable[[], Any]) -> Awaitable[Any]:
        """Run `function` on the connection's thread."""
        return self._inner._execute(function)


def connector(path: str, **options: Any) -> Callable[[], Awaitable[OneTripConnection]]:
    """What `create_async_engine(async_creator=...)` calls for a new connection to the
    database file at `path` (`options` as `sqlite3.connect` takes them)."""

    async def connect() -> OneTripConnection:
        made = aiosqlite.Connection(partial(sqlite3.connect, path, **options), iter_chunk_size=64)
        made._thread.daemon = True  # as SQLAlchemy makes aiosqlite's: never holds up exit
        return OneTripConnection(await made)

    return connect
