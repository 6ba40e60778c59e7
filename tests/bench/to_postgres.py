"""Move a seeded SQLite community into a fresh PostgreSQL database, for benchmarks that
compare the two: the seed writes SQLite straight through SQLAlchemy Core, and this
copies every table across with the models' types (PostgreSQL's schema comes from
`porch migrate`)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Integer, create_engine, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers the tables)

ADMIN = "postgresql://postgres@127.0.0.1:55432/postgres"


def create_database(name: str, admin: str = ADMIN) -> str:
    """A new, empty database `name` (dropped first if a run left one); its URL."""

    async def run() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return admin.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str, admin: str = ADMIN) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


def copy(sqlite_db: Path, url: str, porch: Path, cwd: Path, env: dict[str, str]) -> int:
    """Migrate `url`, then copy every row of `sqlite_db` into it; how many rows."""
    subprocess.run(
        [str(porch), "migrate"],
        cwd=cwd,
        env={**env, "PORCH_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    source = create_engine(f"sqlite:///{sqlite_db}")
    tables = [t for t in SQLModel.metadata.sorted_tables]
    rows: dict[str, list[dict[str, Any]]] = {}
    with source.connect() as conn:
        for table in tables:
            rows[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]
    source.dispose()

    async def write() -> int:
        target = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
        copied = 0
        async with target.begin() as conn:
            for table in tables:
                found = rows[table.name]
                for start in range(0, len(found), 5000):
                    await conn.execute(insert(table), found[start : start + 5000])
                copied += len(found)
                serial = table.c.get("id")
                if found and serial is not None and isinstance(serial.type, Integer):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
            await conn.execute(text("ANALYZE"))
        await target.dispose()
        return copied

    return asyncio.run(write())
