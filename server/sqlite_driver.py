"""SQLite through aiosqlite in one trip to its thread per statement.

aiosqlite runs each sqlite3 call on a thread of its own; SQLAlchemy's adapter makes four
calls for one statement (open a cursor, execute, fetch the rows, close the cursor), and
each call is a round trip: a queue put that wakes the thread, a future resolved from it,
and a wake-up of the event loop through its self-pipe. Those trips, not SQLite, were most
of what a statement cost (a profile of the inbox put a third of its CPU in them). Here a
statement is one function run on that thread: it executes, reads every row and the
counts, and closes its cursor, and the adapter answers from what it brought back.

Nothing else changes: the same thread, the same sqlite3 connection, the same errors
(SQLAlchemy's adapter translates them as before), transactions as before (commit and
rollback were one trip already). Server-side cursors (streamed results) keep SQLAlchemy's
own class.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_only

#: What one trip brings back: the description, the rows, rowcount and lastrowid.
_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the whole statement, with its cursor opened and closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # rowcount is final only once every row of a RETURNING statement was read.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds no sqlite3 cursor: each statement's results, read at once."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: Any) -> None:
        # Not the base __init__: it opens an aiosqlite cursor, which costs a trip.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = cast(Any, None)
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return cast(int, self._lastrowid)

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, () if parameters is None else parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._trip(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor closed on the thread."""

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite module, handing out OneTripConnections."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's: never hold up an exit
        opened: Any = await_only(connection)
        return OneTripConnection(self, opened)


def dbapi() -> OneTripDBAPI:
    """The module to give create_async_engine(module=…) for a SQLite URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)
