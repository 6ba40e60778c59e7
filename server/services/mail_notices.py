"""Mail that follows a decision about a member: their sign-up approved or not, a
moderator's warning or suspension, an appeal decided. Each is queued in the
transaction that records the decision (server/services/mail_outbox.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState
from server.services import mail_messages, mail_outbox


def standing_changed(
    session: AsyncSession, member: Member, actor: Actor, before: MemberState, now: datetime
) -> None:
    """Tell someone who was waiting for approval how it went. The answer goes to the
    address they signed up with even unconfirmed: it answers their own request."""
    if before != MemberState.pending:
        return
    if member.state == MemberState.active:
        message = mail_messages.approved(member.email, actor.username)
    elif member.state == MemberState.rejected:
        message = mail_messages.rejected(member.email, actor.username)
    else:
        return
    mail_outbox.queue(session, message, now)


async def moderation(session: AsyncSession, actor: Actor, text: str, now: datetime) -> None:
    """Mail a moderation notice to a member whose address is confirmed."""
    member = (await session.exec(select(Member).where(Member.actor_id == actor.id))).first()
    if member is None or member.email_confirmed_at is None:
        return
    mail_outbox.queue(
        session, mail_messages.moderation_notice(member.email, actor.username, text), now
    )
