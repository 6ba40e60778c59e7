"""Inserts that concurrent requests cannot double: the first one writes, the rest do nothing."""

from __future__ import annotations

from typing import Any

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
