"""The data directory as the `porch` command sees it: which one, and whether it holds a
database to work on.

Only `porch serve` and `porch migrate` create the directory and its database. Every
other command says which directory it uses and refuses, in one line, one that holds no
database: run from the wrong folder, it would otherwise make an empty one there.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config import Settings
from server.db import make_engine, schema_heads


class NoDatabase(Exception):
    """The command has no database to work on; the message says what to do, in one line."""


def database_file(settings: Settings) -> Path | None:
    """The SQLite database's file, or None for a server database (PostgreSQL)."""
    if not settings.is_sqlite:
        return None
    name = make_url(settings.database_url).database
    return Path(name) if name and name != ":memory:" else None


def describe(settings: Settings) -> str:
    """Which data directory, and which database, a command works on: one line."""
    where = f"data directory {settings.data_dir.resolve()}"
    found = database_file(settings)
    if found is not None:
        return f"{where}, database {found.resolve()}"
    if settings.is_sqlite:
        return f"{where}, database in memory"
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{where}, database {shown}"


def require_data(settings: Settings) -> None:
    """Raise NoDatabase unless the data directory exists and, on SQLite, holds the file."""
    data = settings.data_dir.resolve()
    if not data.is_dir():
        raise NoDatabase(
            f"there is no data directory at {data}. Run porch where Porch keeps its data, "
            "or set PORCH_DATA_DIR to it; `porch migrate` creates a new one."
        )
    found = database_file(settings)
    if found is not None and not found.is_file():
        raise NoDatabase(
            f"there is no database at {found.resolve()}. Run porch where Porch keeps its "
            "data, or set PORCH_DATA_DIR to it; `porch migrate` creates a new one."
        )


def require_schema(settings: Settings) -> None:
    """Raise NoDatabase unless the database has every migration applied."""

    async def heads() -> tuple[set[str], set[str]]:
        engine = make_engine(settings.database_url)
        try:
            return await schema_heads(engine)
        finally:
            await engine.dispose()

    current, head = asyncio.run(heads())
    if not current:
        raise NoDatabase("the database holds no Porch tables: run `porch migrate` first.")
    if current != head:
        raise NoDatabase("the database is not up to date: run `porch migrate` first.")
