"""The database engine, sessions, and schema migrations (Alembic is the only schema builder)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import event, exc, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from server import ROOT, sqlite_trips, writer_queue
from server.outages import Outage, reconnect_delay
from server.services import events

if TYPE_CHECKING:
    from alembic.config import Config

Sessions = async_sessionmaker[AsyncSession]


class Emitter(Protocol):
    """What sessions need of a bus (server/bus.py): somewhere to put committed events."""

    def emit(self, events: Sequence[events.Event]) -> None: ...


log = logging.getLogger(__name__)


#: How long a writer waits for SQLite (its turn in the process, or another process).
SQLITE_WAIT_SECONDS = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the publisher writes; busy_timeout waits for writers
    # in other processes (this one's take turns: server/writer_queue.py); SQLite leaves
    # foreign keys off unless asked.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine for `url`, with SQLite tuned for one web process."""
    if url.startswith("sqlite"):
        address = make_url(url)
        if address.query:  # SQLite URI options: the driver as SQLAlchemy connects it
            engine = create_async_engine(url, connect_args={"timeout": SQLITE_WAIT_SECONDS})
        else:
            engine = create_async_engine(
                url,
                async_creator=sqlite_trips.connector(
                    address.database or ":memory:",
                    timeout=SQLITE_WAIT_SECONDS,
                    check_same_thread=False,
                ),
            )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        writer_queue.install(engine, SQLITE_WAIT_SECONDS)
        return engine
    # pool_pre_ping replaces connections that died while PostgreSQL was away, so the
    # process recovers by itself; the connect timeout keeps a request from hanging on an
    # unreachable host for asyncpg's default minute.
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"timeout": 5},
    )


def outage_errors(database_url: str) -> tuple[type[BaseException], ...]:
    """What a request can meet while the database is away, busy or overloaded: SQLAlchemy's
    wrapped driver errors and pool timeout, and on PostgreSQL what asyncpg raises
    unwrapped (it raises OSError subclasses while connecting, which SQLAlchemy passes
    through as they are). SQLite never loads asyncpg."""
    found: tuple[type[BaseException], ...] = (exc.DBAPIError, exc.TimeoutError, OSError)
    if database_url.startswith("postgresql"):
        import asyncpg

        found += (asyncpg.PostgresError, asyncpg.InterfaceError)
    return found


def _asyncpg_outage(error: BaseException) -> bool:
    """Whether `error` is asyncpg's word for a server that is away or refusing work (only
    if asyncpg is loaded at all: on SQLite it never is)."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    return isinstance(
        error,
        (
            asyncpg.PostgresConnectionError,  # ConnectionDoesNotExist, ConnectionFailure
            # CannotConnectNow (starting or stopping), AdminShutdown, CrashShutdown
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.TooManyConnectionsError,
            asyncpg.InterfaceError,  # "connection is closed"
        ),
    )


def unavailable(error: BaseException) -> bool:
    """True if `error` means the database cannot be reached or used just now (answer 503,
    try again later), rather than a fault in the request or the code."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
            return True  # SQLite's "database is locked" is one of these
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (ConnectionError, TimeoutError, socket.gaierror)):
            return True
        # asyncpg's "Multiple exceptions" while connecting carries no errno; a disk that
        # is full (saving an upload) does, and is a fault, not the database away.
        if type(current) is OSError and current.errno is None:
            return True
        if _asyncpg_outage(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def make_sessions(engine: AsyncEngine, bus: Emitter | None = None) -> Sessions:
    """Sessions on `engine`; what they announce (server/services/events.py) goes to
    `bus` when they commit."""
    info = {events.BUS: bus.emit} if bus is not None else {}
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, url: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


#: A migration file's `revision = "…"` and `down_revision = …` lines.
_REVISION = re.compile(r"^(down_)?revision\b[^=]*=\s*(.+)$", re.MULTILINE)


@cache
def head_revisions() -> frozenset[str]:
    """The latest migrations, read from the migration files' revision lines.

    Alembic (with Mako and Pygments behind it) takes about 10 MB to load, and a server
    whose database is up to date never needs it: this read is enough to know that.
    tests/test_migrations.py holds it equal to Alembic's own answer.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).update(re.findall(r"[\"']([^\"']+)[\"']", value))
    return frozenset(revisions - parents)


def _current(connection: Connection) -> set[str]:
    """The migrations applied to the database (none for one without Porch tables)."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration to the database behind `engine`."""
    async with engine.begin() as connection:
        if await connection.run_sync(_current) == head_revisions():
            return  # up to date: Alembic is not even loaded
        await connection.run_sync(_upgrade, engine.url.render_as_string(hide_password=False))


async def schema_heads(engine: AsyncEngine) -> tuple[set[str], set[str]]:
    """The migrations applied to the database behind `engine` (none for a database that
    has no Porch tables) and the latest ones; raises if it cannot be reached."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current), set(head_revisions())


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaBehind unless every migration has been applied. A database that
    cannot be reached yet (started together with Porch, or restarting) is waited for."""
    outage = Outage(log, "The database", "waiting for it before starting")
    attempt = 0
    while True:
        try:
            current, head = await schema_heads(engine)
        except Exception as error:
            if not unavailable(error):
                raise
            outage.lost(error)
            attempt += 1
            await asyncio.sleep(reconnect_delay(attempt))
        else:
            outage.back()
            break
    if current != head:
        raise SchemaBehind(
            "the database schema is not up to date: run `porch migrate` first "
            f"(at {', '.join(sorted(current)) or 'nothing'}, need {', '.join(sorted(head))})"
        )


class SchemaBehind(RuntimeError):
    pass


def migrate_blocking(url: str) -> None:
    """Apply pending migrations from synchronous code (the CLI)."""

    async def run() -> None:
        engine = make_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
