"""Rows kept in memory between requests, put back into a request's session as if read."""

from __future__ import annotations

import copy
from typing import Any, TypeVar, cast

from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached
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
    mapper = inspect(model)
    identity = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(c).key] for c in mapper.primary_key]
    )
    if (held := session.sync_session.identity_map.get(identity)) is not None:
        return cast(M, held)  # the session has it already (a second look in one request)
    row: M = manager_of_class(model).new_instance()
    instance_dict(row).update(
        {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in values.items()}
    )
    make_transient_to_detached(row)  # its identity set, nothing pending
    session.add(row)  # in this request's session, as if read by it
    return row
