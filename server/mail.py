"""Sending Porch's mail over SMTP (aiosmtplib), and the sweep that sends what is queued.

What a mail says, and when one is queued, is the services' business
(server/services/mail_messages.py, mail_outbox.py); this door only delivers. Without
PORCH_SMTP_HOST there is no mailer: nothing is attempted, and mail queued meanwhile is
dropped by the sweep.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import aiosmtplib

from server.clock import Clock
from server.config import Settings
from server.db import Sessions
from server.services import mail_outbox
from server.services.mail_messages import SITE, Message

log = logging.getLogger(__name__)

#: How long one SMTP conversation may take before it counts as a failure.
TIMEOUT_SECONDS = 30.0


class Mailer(Protocol):
    """Delivers one mail; raises on failure."""

    async def send(self, message: Message) -> None: ...


class SmtpMailer:
    """Delivers over SMTP with the PORCH_SMTP_* settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def compose(self, message: Message) -> EmailMessage:
        """The mail as sent: plain text, links made whole with the site's address."""
        mail = EmailMessage()
        mail["From"] = f"{self.settings.instance_name} <{self.settings.mail_from}>"
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.settings.domain.split(":")[0])
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.body.replace(SITE, self.settings.base_url))
        return mail

    async def send(self, message: Message) -> None:
        settings = self.settings
        await aiosmtplib.send(
            self.compose(message),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=TIMEOUT_SECONDS,
        )


def mailer_for(settings: Settings) -> SmtpMailer | None:
    """The mailer the settings describe, or None without PORCH_SMTP_HOST."""
    return SmtpMailer(settings) if settings.smtp_host else None


async def send_due(sessions: Sessions, clock: Clock, mailer: Mailer | None) -> int:
    """Sweep: send every queued mail that is due; returns how many went (or, without a
    mailer, were dropped). A failure is logged and the mail tried again later."""
    async with sessions() as session:
        if mailer is None:
            return await mail_outbox.drop_due(session, clock.now())
        due = await mail_outbox.due(session, clock.now())
        count = 0
        for mail in due:
            assert mail.id is not None
            message = Message(mail.to_address, mail.subject, mail.body)
            try:
                await mailer.send(message)
            except Exception as exc:  # only the mail server's answer: the sweep goes on
                again = await mail_outbox.failed(session, mail, _describe(exc), clock.now())
                log.warning(
                    "mail %s to %s failed (attempt %d): %s; %s",
                    mail.id,
                    mail.to_address,
                    mail.attempts + 1,
                    _describe(exc),
                    "will try again" if again else "giving up",
                )
                continue
            await mail_outbox.sent(session, mail.id)
            count += 1
        return count


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
