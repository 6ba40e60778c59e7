"""Mail waiting to be sent: queued with the change it tells of, sent by the mail sweep.

A mail is a row first (OutgoingMail), written in the caller's transaction: the change
(a new password, an approval) never waits on the mail server, and a mail server that is
away delays the mail without losing it. The sweep (server/mail.py) sends what is due;
a failure is logged and tried again later, with growing waits, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import OutgoingMail
from server.services import due as due_work
from server.services.mail_messages import Message

#: After this many failed attempts (about a day and a half of waits) a mail is dropped.
MAX_ATTEMPTS = 8
#: The wait after the first failure; each further failure doubles it.
FIRST_RETRY = timedelta(minutes=1)
#: Mails one sweep sends at most before looking again.
BATCH = 50
MAX_ERROR = 500


def queue(session: AsyncSession, message: Message, now: datetime) -> OutgoingMail:
    """Queue `message`, in the caller's transaction (the caller commits)."""
    mail = OutgoingMail(
        to_address=message.to,
        subject=message.subject[:200],
        body=message.body,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(mail)
    due_work.announce_work(session, due_work.MAIL)
    return mail


async def due(session: AsyncSession, now: datetime) -> list[OutgoingMail]:
    """The mails due to be sent now, oldest first."""
    rows = await session.exec(
        select(OutgoingMail)
        .where(col(OutgoingMail.next_attempt_at) <= now)
        .order_by(col(OutgoingMail.next_attempt_at), col(OutgoingMail.id))
        .limit(BATCH)
    )
    return list(rows.all())


async def sent(session: AsyncSession, mail_id: int) -> None:
    """The mail went: its row goes, with any link its body held."""
    await session.exec(delete(OutgoingMail).where(col(OutgoingMail.id) == mail_id))
    await session.commit()


async def failed(session: AsyncSession, mail: OutgoingMail, error: str, now: datetime) -> bool:
    """Sending failed: try again later, or drop the mail after MAX_ATTEMPTS. Returns whether
    it will be tried again."""
    assert mail.id is not None
    attempts = mail.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        await sent(session, mail.id)
        return False
    await session.exec(
        update(OutgoingMail)
        .where(col(OutgoingMail.id) == mail.id)
        .values(
            attempts=attempts,
            last_error=error[:MAX_ERROR],
            next_attempt_at=now + FIRST_RETRY * 2 ** (attempts - 1),
        )
    )
    await session.commit()
    return True


async def drop_due(session: AsyncSession, now: datetime) -> int:
    """Without a mail server nothing is sent: mail queued meanwhile goes unsent."""
    result = await session.exec(
        delete(OutgoingMail).where(col(OutgoingMail.next_attempt_at) <= now)
    )
    await session.commit()
    return int(result.rowcount or 0)
