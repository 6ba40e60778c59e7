"""Citing the community's norms: which norm, its version, and its words at the time.

A norm's version is the id of its latest recorded change (0 while it has its default),
so a decision can always be read against the norm as it stood when it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import NormChange
from server.services import instance, norms
from server.services.errors import Invalid

#: The norm that holds the community's rules, which reports and actions cite by number.
RULES = "rules.text"


@dataclass(frozen=True)
class Citation:
    """A norm cited by a decision: its name, version and the words that applied."""

    key: str
    version: int
    text: str


async def version_of(session: AsyncSession, name: str) -> int:
    """The norm's version: the id of its latest change, 0 if never changed."""
    found = await session.exec(select(func.max(NormChange.id)).where(NormChange.name == name))
    return int(found.one() or 0)


async def rules(session: AsyncSession, settings: Settings, rule_ids: list[str]) -> list[str]:
    """The text of each rule in `rule_ids` (ids as /api/v1/instance/rules lists them), or
    Invalid naming the first unknown one."""
    listed = {r.id: r.text for r in instance.rules(await norms.current(session, settings))}
    texts = []
    for rule_id in rule_ids:
        if str(rule_id) not in listed:
            raise Invalid(
                f"There is no rule {rule_id}; see the community's rules.", field="rule_ids"
            )
        texts.append(listed[str(rule_id)])
    return texts


async def cite(
    session: AsyncSession, settings: Settings, key: str, rule_id: str | None = None
) -> Citation:
    """Cite norm `key` (a rule of the rules norm when `rule_id` is given); Invalid when
    there is no such norm or rule. Without a key, nothing is cited."""
    key = key.strip()
    if not key and rule_id:
        key = RULES
    if not key:
        return Citation("", 0, "")
    found = norms.norm(key) if key in norms.BY_NAME else None
    if found is None:
        raise Invalid(f"There is no norm called {key}.", field="norm")
    version = await version_of(session, key)
    if key == RULES and rule_id:
        (text,) = await rules(session, settings, [rule_id])
        return Citation(key, version, text[:500])
    value = (await norms.current(session, settings))[key]
    shown = "; ".join(value) if isinstance(value, list) else str(value)
    return Citation(key, version, f"{found.label}: {shown}"[:500])
