"""Appeals: a member answers once to an action about them; a moderator decides.

Granting an appeal undoes what can be undone (a limit, a suspension); either way the
member is told the outcome, and the decision goes in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Appeal, AppealState, ModerationAction, NoticeKind
from server.models.moderation import APPEAL_STATES, APPEALABLE
from server.services import audit, moderation_notices, roles, sanctions, states
from server.services.errors import Conflict, Forbidden, Invalid, NotFound

MAX_TEXT = 2000
MAX_OUTCOME = 1000


async def appeal(
    session: AsyncSession, *, appellant_id: int, action_id: int, text: str, now: datetime
) -> Appeal:
    """The member an action is about answers it, once; commits."""
    action = await session.get(ModerationAction, action_id)
    if action is None or action.target_id != appellant_id:
        raise NotFound("There is no such decision about your account.")
    if action.kind not in APPEALABLE:
        raise Invalid("There is nothing to appeal in this decision.")
    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise Invalid("Say why the decision should change.", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"Keep an appeal to {MAX_TEXT} characters.", field="text")
    found = (await session.exec(select(Appeal).where(Appeal.action_id == action_id))).first()
    if found is not None:
        raise Conflict("You have appealed this decision already; each can be appealed once.")
    row = Appeal(
        action_id=action_id,
        appellant_id=appellant_id,
        text=text,
        state=APPEAL_STATES.start(AppealState.pending),
        created_at=now,
    )
    session.add(row)
    audit.record(
        session,
        actor_id=appellant_id,
        verb="appeal.file",
        target_id=appellant_id,
        report_id=action.report_id,
        action_id=action_id,
        now=now,
    )
    try:
        await session.commit()
    except IntegrityError:  # the same appeal sent twice at once
        await session.rollback()
        raise Conflict(
            "You have appealed this decision already; each can be appealed once."
        ) from None
    return row


async def decide(
    session: AsyncSession,
    *,
    moderator_id: int | None,
    appeal_id: int,
    approve: bool,
    outcome: str,
    now: datetime,
) -> Appeal:
    """Grant or turn down an appeal, telling the member why; commits. Granting lifts
    the action where it can be lifted."""
    await roles.moderating(session, moderator_id)
    row = await session.get(Appeal, appeal_id)
    if row is None:
        raise NotFound("There is no such appeal.")
    if moderator_id is not None and moderator_id == row.appellant_id:
        raise Forbidden("You cannot decide your own appeal.")
    outcome = " ".join(outcome.split())
    if len(outcome) > MAX_OUTCOME:
        raise Invalid(f"Keep the answer to {MAX_OUTCOME} characters.", field="outcome")
    after = AppealState.approved if approve else AppealState.rejected
    values = {"decided_by_id": moderator_id, "decided_at": now, "outcome": outcome}
    assert row.id is not None
    if not await states.move(session, Appeal, row.id, AppealState.pending, after, values=values):
        raise Conflict("This appeal was decided already.")
    action = await session.get(ModerationAction, row.action_id)
    assert action is not None
    audit.record(
        session,
        actor_id=moderator_id,
        verb="appeal.approve" if approve else "appeal.reject",
        target_id=row.appellant_id,
        report_id=action.report_id,
        action_id=action.id,
        norm_key=action.norm_key,
        norm_version=action.norm_version if action.norm_key else None,
        detail=outcome,
        now=now,
    )
    said = (
        "Moderators granted your appeal and lifted their decision."
        if approve
        else "Moderators read your appeal and kept their decision."
    )
    await moderation_notices.tell(
        session,
        recipient_id=row.appellant_id,
        kind=NoticeKind.appeal_outcome,
        text=f"{said} {outcome}".strip(),
        action_id=action.id,
        appeal_id=row.id,
        now=now,
    )
    if approve:
        await sanctions.lift(session, action, now)  # commits
    else:
        await session.commit()
    await session.refresh(row)
    return row


@dataclass(frozen=True)
class AppealView:
    """An appeal with the action it answers and who appealed."""

    appeal: Appeal
    action: ModerationAction
    appellant: Actor


async def pending(session: AsyncSession, limit: int = 100) -> list[AppealView]:
    """Appeals waiting for a moderator, oldest first (they show in the queue)."""
    rows = await session.exec(
        select(Appeal, ModerationAction, Actor)
        .join(ModerationAction, col(ModerationAction.id) == Appeal.action_id)
        .join(Actor, col(Actor.id) == Appeal.appellant_id)
        .where(Appeal.state == AppealState.pending)
        .order_by(col(Appeal.id))
        .limit(limit)
    )
    return [AppealView(a, m, p) for a, m, p in rows.all()]


async def actions_about(
    session: AsyncSession, actor_id: int
) -> list[tuple[ModerationAction, Appeal | None]]:
    """Actions about a member (newest first) with their appeal, for the member's own page."""
    rows = await session.exec(
        select(ModerationAction, Appeal)
        .outerjoin(Appeal, col(Appeal.action_id) == ModerationAction.id)
        .where(ModerationAction.target_id == actor_id)
        .order_by(col(ModerationAction.id).desc())
    )
    return [(action, found) for action, found in rows.all()]
