"""Inserts that concurrent requests cannot double: the first one writes, the rest do nothing."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_once(session: AsyncSession, model: Any, **values: Any) -> Any:
    """INSERT of `values` into `model`'s table that does nothing when a unique key it
    would repeat is taken; the result's rowcount says whether this one wrote the row.

    Reading first and inserting after lets two requests both find nothing and both
    insert; here the database decides (PostgreSQL makes the second wait for the first
    to commit, SQLite's write lock does the same).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing()


@cache
def _once_statement(dialect: str, model: Any, names: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = inspect(model).local_table  # Core: an ORM insert with parameters is a bulk one
    return insert(table).values({name: bindparam(name) for name in names}).on_conflict_do_nothing()


async def write_once(session: AsyncSession, model: Any, **values: Any) -> bool:
    """`insert_once` run, with its statement built once per table and columns (it runs
    on every request of a busy path); True if this call wrote the row."""
    dialect = session.get_bind().dialect.name
    statement = _once_statement(dialect, model, tuple(sorted(values)))
    written = await session.exec(statement, params=values)
    return bool(written.rowcount)
