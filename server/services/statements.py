"""Running the Core statements SQLModel's `session.exec` has no overload for.

`exec` runs any statement, but its type names only selects, inserts, updates and deletes,
so a UNION or a `text()` query would need a `# type: ignore`; `execute` says what it
returns instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Result, orm
from sqlmodel.ext.asyncio.session import AsyncSession

#: As SQLAlchemy's AsyncSession runs statements: rows are read before the call returns,
#: so iterating them later needs no database round trip (and no greenlet).
_BUFFERED = {"prebuffer_rows": True}


async def execute(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Result[*tuple[Any, ...]]:
    """Run `statement` in `session`'s transaction (flushing pending changes first, as
    `exec` does); rows come back as tuples."""
    # SQLAlchemy's own Session.execute: SQLModel's override only adds a deprecation warning.
    return await session.run_sync(
        orm.Session.execute, statement, params, execution_options=_BUFFERED
    )
