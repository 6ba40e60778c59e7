"""SQLite's one writer, as a queue in this process instead of SQLite's busy handler.

SQLite lets one transaction write at a time. Left to itself, a second writer waits in
SQLite's busy handler, which sleeps (up to 100 ms a time) and retries: the sleeps, not
the work, were the slowest requests' time, and a busy enough moment ended in "database
is locked". Here every write transaction in the process takes a turn instead:

- a connection takes the turn just before its first INSERT, UPDATE, DELETE (or other
  writing statement) in a transaction, so readers never wait (WAL lets them read while
  someone writes) and a transaction that only reads never queues;
- it gives the turn back when the connection returns to the pool, which the session does
  right after its commit or rollback (and when it is closed without either), so the next
  writer starts as the last one's commit is done;
- a writer waits at most the busy timeout for its turn, then fails as SQLite would have
  ("database is locked", answered 503 with Retry-After), so a session someone forgot to
  close stops writes for that long at worst, not for ever; one holding the turn longer
  than `LEASE_SECONDS` loses it to the next writer, with a warning naming where it began.

PostgreSQL has row locks and many writers: it gets none of this. Other processes writing
the same SQLite file (a CLI command) still meet the busy handler, as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

log = logging.getLogger(__name__)

#: Statements that never write (everything else takes the turn first).
_READS = ("SELECT", "PRAGMA", "EXPLAIN")
#: Held longer than this, the turn is taken from its holder (a session left open).
LEASE_SECONDS = 30.0
_HOLDS = "porch_writer_turn"
_QUEUES: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()


class WriterQueue:
    """Turns to write, one at a time, first come first served (asyncio.Lock is fair)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: object | None = None
        self._since = 0.0
        self._where = ""
        #: Turns given so far (tests read it: writes went through the queue).
        self.turns = 0

    def _current_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a new event loop (tests)
            self._lock, self._loop, self._holder = asyncio.Lock(), loop, None
        return self._lock

    async def take(self, holder: object) -> None:
        """Wait for the turn for `holder` (a pooled connection's record)."""
        lock = self._current_lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.wait_seconds)
        except TimeoutError:
            if self._holder is None or time.monotonic() - self._since < LEASE_SECONDS:
                raise exc.OperationalError(
                    "(waiting to write)", None, Exception("database is locked")
                ) from None
            log.warning("a write transaction held SQLite for too long; begun at:\n%s", self._where)
            self._holder = None  # the turn passes on; the lock stays taken, for `holder`
        self._holder, self._since = holder, time.monotonic()
        self._where = "(run with debug logging to see where)"
        if log.isEnabledFor(logging.DEBUG):  # where the turn began, for the warning above
            self._where = "".join(traceback.format_stack(limit=12))
        self.turns += 1

    def give_back(self, holder: object) -> None:
        """End `holder`'s turn, if it has it."""
        if self._holder is holder and self._lock is not None:
            self._holder = None
            self._lock.release()


def _writes(statement: str) -> bool:
    # Only the first word matters; upper-casing a whole statement per call would not.
    return not statement.lstrip()[:8].upper().startswith(_READS)


def install(engine: AsyncEngine, wait_seconds: float) -> WriterQueue:
    """Make every write transaction on `engine` (SQLite) take its turn in one queue."""
    queue = WriterQueue(wait_seconds)
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Marked on the pool's record, which outlives an invalidated connection.
        marks = conn.connection.record_info
        if marks.get(_HOLDS) or not _writes(statement) or not in_greenlet():
            return
        await_only(queue.take(marks))
        marks[_HOLDS] = True

    def ended(record: Any) -> None:
        if record.record_info.pop(_HOLDS, None):
            queue.give_back(record.record_info)

    for name in ("checkin", "close", "invalidate"):
        event.listen(sync_engine, name, lambda _dbapi, record, *_: ended(record))

    _QUEUES[sync_engine] = queue
    return queue


def queue_of(engine: AsyncEngine) -> WriterQueue | None:
    """The engine's writer queue (SQLite), or None (PostgreSQL)."""
    return _QUEUES.get(engine.sync_engine)
