"""Changing a row's state: the one way any state changes, as its table declares.

Each move is one conditional statement (`... WHERE id = :id AND state = :before`), so of
two changes racing for a row one lands and the other finds nothing to change: callers
read the answer and say why. A move the row's state table (`server.models.states`) does
not declare raises InvalidTransition before the database is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models.posts import POST_STATES, PostState
from server.models.states import TABLES, InvalidTransition, StateTable
from server.services.events import Event, EventKind, announce

S = TypeVar("S", bound=StrEnum)

__all__ = ["InvalidTransition", "leave", "move", "move_all", "table_of"]


class Stateful(Protocol):
    """A table with an `id` and a `state` column governed by a state table."""

    __tablename__: ClassVar[Any]
    id: Any
    state: Any


def table_of(model: type[Stateful]) -> StateTable[Any]:
    """The state table that governs `model`'s rows."""
    found = TABLES.get(str(model.__tablename__))
    if found is None:
        raise InvalidTransition(f"{model.__tablename__} has no state table")
    return found


def _set(after: StrEnum, values: Mapping[str, Any] | None) -> dict[str, Any]:
    if values and "state" in values:
        raise InvalidTransition("the state is the move's own: pass it as `after`")
    # Written even within one state, so that the statement takes the row's lock.
    return {**(values or {}), "state": after}


async def move(
    session: AsyncSession,
    model: type[Stateful],
    row_id: int,
    before: S,
    after: S,
    *,
    values: Mapping[str, Any] | None = None,
    where: Iterable[ColumnElement[bool]] = (),
) -> bool:
    """Move row `row_id` from `before` to `after`, writing `values` with it, if it is
    still in `before` and meets every `where`; True if it did.

    Within one state (`before == after`) this is a change that may only land in that
    state, such as an edit during the pause.
    """
    before, after = table_of(model).check(before, after)
    statement = (
        update(model)
        .where(col(model.id) == row_id, col(model.state) == before, *where)
        .values(_set(after, values))
    )
    done = await session.exec(statement)
    moved = bool(done.rowcount == 1)
    if moved:
        _announce_posts(session, model, before, after, [row_id])
    return moved


def _announce_posts(
    session: AsyncSession, model: type[Stateful], before: StrEnum, after: StrEnum, ids: list[int]
) -> None:
    """Posts that came into sight or went out of it are news for open streams."""
    if table_of(model) is not POST_STATES or before == after:
        return
    if after == PostState.published:
        announce(session, *(Event(EventKind.post_published, i) for i in ids))
    elif after == PostState.deleted:
        announce(session, *(Event(EventKind.post_deleted, i) for i in ids))


async def move_all(
    session: AsyncSession,
    model: type[Stateful],
    rows: ColumnElement[bool],
    before: S,
    after: S,
    *,
    values: Mapping[str, Any] | None = None,
) -> list[int]:
    """Move every row matching `rows` that is still in `before` to `after`; their ids.

    For claims: `rows` picks candidates (for example with FOR UPDATE SKIP LOCKED), and a
    row another worker moved meanwhile no longer matches, so it is never moved twice.
    """
    before, after = table_of(model).check(before, after)
    statement = (
        update(model)
        .where(rows, col(model.state) == before)
        .values(_set(after, values))
        .returning(col(model.id))
    )
    done = await session.exec(statement)
    moved = [int(i) for i in done.scalars().all()]
    _announce_posts(session, model, before, after, moved)
    return moved


async def leave(
    session: AsyncSession,
    model: type[Stateful],
    row_id: int,
    before: StrEnum,
    *,
    where: Iterable[ColumnElement[bool]] = (),
) -> bool:
    """Delete row `row_id` if it is still in `before`, a state its table lets rows be
    deleted from; True if it did."""
    state = table_of(model).check_exit(before)
    statement = delete(model).where(col(model.id) == row_id, col(model.state) == state, *where)
    done = await session.exec(statement)
    left = bool(done.rowcount == 1)
    if left and table_of(model) is POST_STATES and state == PostState.published:
        announce(session, Event(EventKind.post_deleted, row_id))
    return left
