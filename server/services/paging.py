"""Paging by id, as every list in Porch pages: newest first, with cursors either side.

`max_id` pages towards older items, `since_id` and `min_id` towards newer ones:
`since_id` gives the newest items above the cursor, `min_id` the ones just above it
(an app catching up page by page). Ids grow with time, so id order is time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import BigInteger, ColumnElement, sql
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from server.ids import MAX_ID, MAX_SERIAL_ID

T = TypeVar("T")
#: A query of one entity or column (rows are scalars) or of several (rows are tuples).
AnySelect = SelectOfScalar[Any] | Select[*tuple[Any, ...]]
Query = TypeVar("Query", bound=sql.Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Window:
    limit: int = 20
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    def where(self, column: Any) -> list[ColumnElement[bool]]:
        """The conditions the cursors put on `column`, each brought into the column's
        range (ids of posts are 64-bit, others 32-bit on PostgreSQL)."""
        most = MAX_ID if isinstance(column.type, BigInteger) else MAX_SERIAL_ID
        conditions = []
        if self.max_id is not None:
            conditions.append(column < min(self.max_id, most))
        if self.since_id is not None:
            conditions.append(column > min(self.since_id, most))
        if self.min_id is not None:
            conditions.append(column > min(self.min_id, most))
        return conditions

    def order(self, query: Query, column: Any, *, extra: int = 0) -> Query:
        """Order and limit `query`: ascending from min_id, else newest first."""
        ordered = column.asc() if self.min_id is not None else column.desc()
        return query.where(*self.where(column)).order_by(ordered).limit(self.limit + extra)

    def bounds(self) -> dict[str, int]:
        """The cursors as exclusive bounds of a post id, for statements built once with
        `above` and `below` parameters (post ids are positive and at most MAX_ID; with
        no max_id the bound is MAX_ID itself, as MAX_ID + 1 does not fit a BIGINT: ids
        are made from the time and never reach it)."""
        lower = [min(c, MAX_ID) for c in (self.since_id, self.min_id) if c is not None]
        return {
            "above": max(lower, default=-1),
            "below": MAX_ID if self.max_id is None else min(self.max_id, MAX_ID),
        }

    def arrange(self, rows: list[T]) -> list[T]:
        """Rows as the page shows them: newest first, whichever way they were read."""
        return list(reversed(rows)) if self.min_id is not None else rows


async def rows(session: AsyncSession, query: AnySelect, column: Any, window: Window) -> list[Any]:
    """The page of `query`'s rows that `window` asks for, by `column`, newest first."""
    found = await session.exec(window.order(query, column))
    return window.arrange(list(found.all()))
