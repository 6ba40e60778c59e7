"""The audit log: every moderator's and admin's decision, who, when, to whom, under which norm.

Entries are added in the transaction of the change they record, so a decision and its
entry commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, AuditEntry

MAX_DETAIL = 1000


def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    verb: str,
    now: datetime,
    target_id: int | None = None,
    report_id: int | None = None,
    action_id: int | None = None,
    norm_key: str = "",
    norm_version: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add an entry to the caller's transaction (the caller commits)."""
    entry = AuditEntry(
        actor_id=actor_id,
        verb=verb,
        target_id=target_id,
        report_id=report_id,
        action_id=action_id,
        norm_key=norm_key,
        norm_version=norm_version,
        detail=" ".join(detail.split())[:MAX_DETAIL],
        created_at=now,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditView:
    """An entry with who did it and to whom (None: the command line or another server)."""

    entry: AuditEntry
    actor: Actor | None
    target: Actor | None


async def search(
    session: AsyncSession,
    *,
    text: str = "",
    verb: str | None = None,
    target_id: int | None = None,
    report_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditView]:
    """Entries newest first. `text` matches the verb, the detail, the norm cited and the
    handles of who acted and to whom; the others narrow to one verb, account or report."""
    who, whom = aliased(Actor), aliased(Actor)
    query = (
        select(AuditEntry, who, whom)
        .outerjoin(who, col(who.id) == AuditEntry.actor_id)
        .outerjoin(whom, col(whom.id) == AuditEntry.target_id)
    )
    if verb:
        query = query.where(AuditEntry.verb == verb)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if report_id is not None:
        query = query.where(AuditEntry.report_id == report_id)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    words = text.strip().lstrip("@").lower()
    if words:
        pattern = f"%{words}%"
        query = query.where(
            or_(
                col(AuditEntry.verb).ilike(pattern),
                col(AuditEntry.detail).ilike(pattern),
                col(AuditEntry.norm_key).ilike(pattern),
                col(who.acct_key).ilike(pattern),
                col(whom.acct_key).ilike(pattern),
            )
        )
    rows = await session.exec(query.order_by(col(AuditEntry.id).desc()).limit(min(limit, 500)))
    return [AuditView(entry, actor, target) for entry, actor, target in rows.all()]


async def last_detail(session: AsyncSession, verb: str, target_id: int) -> str:
    """The detail (the reason) of the newest `verb` entry about `target_id`, or ""."""
    rows = await session.exec(
        select(AuditEntry.detail)
        .where(AuditEntry.verb == verb, AuditEntry.target_id == target_id)
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    )
    return rows.first() or ""
