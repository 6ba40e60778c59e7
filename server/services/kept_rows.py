"""Rows kept in memory between requests, put back into a request's session as if read."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import ARRAY, JSON, PickleType, inspect
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

M = TypeVar("M", bound=SQLModel)


def revive(session: AsyncSession, model: type[M], values: dict[str, Any]) -> M:
    """A row of `model` with the kept column `values`, in `session` as if it had read it
    (no statement); the session's own object when it has that row already."""
    # Made as the ORM makes a row it reads (no constructor, no validation: the values
    # were read from the database); lists and dicts (profile fields) are copied, so a
    # request changing its own cannot change what the next request is given.
    shape = _shape(model)
    identity = shape.mapper.identity_key_from_primary_key(
        tuple(values[k] for k in shape.primary_key)
    )
    if (held := session.sync_session.identity_map.get(identity)) is not None:
        return cast(M, held)  # the session has it already (a second look in one request)
    row: M = shape.manager.new_instance()
    filled = instance_dict(row)
    filled.update(values)
    for key in shape.mutable:
        if isinstance(found := filled.get(key), list | dict):
            filled[key] = copy.deepcopy(found)
    make_transient_to_detached(row)  # its identity set, nothing pending
    session.add(row)  # in this request's session, as if read by it
    return row


@dataclass(frozen=True)
class _Shape:
    mapper: Mapper[Any]
    manager: Any
    primary_key: tuple[str, ...]
    #: Columns whose values may be lists or dicts (JSON, arrays, pickles).
    mutable: tuple[str, ...]


@cache
def _shape(model: type[SQLModel]) -> _Shape:
    mapper = inspect(model)
    return _Shape(
        mapper,
        manager_of_class(model),
        tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
        tuple(
            a.key
            for a in mapper.column_attrs
            if isinstance(a.columns[0].type, JSON | ARRAY | PickleType)
        ),
    )
