"""The database engine, sessions, and schema migrations (Alembic is the only schema builder)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from server import ROOT

Sessions = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the publisher writes; busy_timeout queues writers
    # instead of failing them; SQLite leaves foreign keys off unless asked.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine for `url`, with SQLite tuned for one web process."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 5})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, url: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration to the database behind `engine`."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, engine.url.render_as_string(hide_password=False))


def _current_and_head(connection: Connection) -> tuple[set[str], set[str]]:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(""))
    current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


async def check_schema(engine: AsyncEngine) -> None:
    """Raise SchemaBehind unless every migration has been applied."""
    async with engine.connect() as connection:
        current, head = await connection.run_sync(_current_and_head)
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
