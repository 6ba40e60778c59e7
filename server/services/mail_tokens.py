"""Links mailed to members: confirming an address, setting a new password.

Each link holds a random key, kept only as its SHA-256 digest (as session keys are);
it works once and for a limited time, and asking again retires the earlier link.

A member whose address is not confirmed can sign in and use Porch (they are told to
confirm) but gets no mail except the confirmation itself: no password reset, no notices.
An address nobody proved may be someone else's, and a reset link sent there would hand
the account to them. Without a mail server, addresses are taken as given (nobody could
confirm them) and an admin prints a reset link with `porch user reset-password`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, MailToken, Member, MemberState, TokenPurpose
from server.services import (
    mail_messages,
    mail_outbox,
    oauth_tokens,
    passwords,
    sessions,
    signup_checks,
)
from server.services.accounts import Signed, local_member
from server.services.errors import Conflict, Invalid, NotFound

log = logging.getLogger(__name__)

LIFETIMES = {
    TokenPurpose.confirm: timedelta(hours=48),
    TokenPurpose.change: timedelta(hours=48),
    TokenPurpose.reset: timedelta(minutes=60),
}
GONE = "This link has expired or was used already. Ask for a new one."


def digest(key: str) -> str:
    """The stored form of a link's key."""
    return hashlib.sha256(key.encode()).hexdigest()


async def issue(
    session: AsyncSession, member: Member, purpose: TokenPurpose, email: str, now: datetime
) -> str:
    """A new link key for the member, in the caller's transaction; earlier links for the
    same purpose stop working."""
    assert member.id is not None
    # The member's spent links go too, so the table holds only links that may still work.
    await session.exec(
        delete(MailToken).where(
            col(MailToken.member_id) == member.id,
            or_(
                col(MailToken.purpose) == purpose,
                col(MailToken.used_at).is_not(None),
                col(MailToken.expires_at) <= now,
            ),
        )
    )
    key = secrets.token_urlsafe(32)
    session.add(
        MailToken(
            key_hash=digest(key),
            member_id=member.id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return key


async def find(
    session: AsyncSession, key: str, purposes: tuple[TokenPurpose, ...], now: datetime
) -> tuple[MailToken, Signed]:
    """The unused, unexpired link with this key and its member, or NotFound."""
    row = (
        await session.exec(
            select(MailToken, Member, Actor)
            .join(Member, col(Member.id) == MailToken.member_id)
            .join(Actor, col(Actor.id) == Member.actor_id)
            .where(
                MailToken.key_hash == digest(key),
                col(MailToken.purpose).in_(purposes),
                col(MailToken.used_at).is_(None),
                col(MailToken.expires_at) > now,
            )
        )
    ).first()
    if row is None:
        raise NotFound(GONE)
    return row[0], Signed(row[1], row[2])


async def _use(session: AsyncSession, token: MailToken, now: datetime) -> None:
    """Mark the link used; conditional, so two clicks at once use it once."""
    result = await session.exec(
        update(MailToken)
        .where(col(MailToken.id) == token.id, col(MailToken.used_at).is_(None))
        .values(used_at=now)
    )
    if not result.rowcount:
        raise NotFound(GONE)


def _hours(purpose: TokenPurpose) -> int:
    return int(LIFETIMES[purpose].total_seconds() // 3600)


async def send_confirmation(session: AsyncSession, found: Signed, now: datetime) -> None:
    """Mail a new member the link that confirms their address."""
    await _send_confirmation(session, found, now)
    await session.commit()


async def resend_confirmation(session: AsyncSession, found: Signed, now: datetime) -> None:
    """Mail a fresh confirmation link (the earlier one stops working)."""
    if found.member.email_confirmed_at is not None:
        raise Conflict("Your address is confirmed already.")
    await _send_confirmation(session, found, now)
    await session.commit()


async def correct_unconfirmed(
    session: AsyncSession, found: Signed, new_email: str, now: datetime
) -> str:
    """A member whose address is not confirmed yet fixes a mistyped one: it becomes their
    address at once (the old one was never proved theirs) and gets a fresh confirmation
    link. Returns the address as cleaned."""
    if found.member.email_confirmed_at is not None:
        raise Conflict("Your address is confirmed already; change it in Settings > Email.")
    email = signup_checks.clean_email(new_email)
    if email != found.member.email:
        used = await session.exec(select(Member.id).where(Member.email == email))
        if used.first() is not None:
            raise Conflict("An account with that email address exists already.", field="email")
        found.member.email = email
        session.add(found.member)
    await _send_confirmation(session, found, now)
    await session.commit()
    return email


async def _send_confirmation(session: AsyncSession, found: Signed, now: datetime) -> None:
    key = await issue(session, found.member, TokenPurpose.confirm, found.member.email, now)
    message = mail_messages.confirm_address(
        found.member.email, found.actor.username, key, _hours(TokenPurpose.confirm)
    )
    mail_outbox.queue(session, message, now)


async def confirm(session: AsyncSession, key: str, now: datetime) -> Signed:
    """Follow a confirmation link: the address it was sent to is the member's, proved."""
    token, found = await find(session, key, (TokenPurpose.confirm, TokenPurpose.change), now)
    await _use(session, token, now)
    if token.email != found.member.email:
        taken = await session.exec(
            select(Member.id).where(Member.email == token.email, col(Member.id) != found.member.id)
        )
        if taken.first() is not None:
            await session.rollback()
            raise Conflict("Another account uses that address now; choose another.")
        found.member.email = token.email
    found.member.email_confirmed_at = now
    session.add(found.member)
    await session.commit()
    return found


async def request_reset(session: AsyncSession, login: str, now: datetime) -> bool:
    """Mail a reset link to the member with this username or address, if they may have
    one (active, address confirmed). The answer shown is the same either way, so nobody
    learns who has an account; the return value is for the log."""
    try:
        found = await local_member(session, login)
    except NotFound:
        return False
    if found.member.email_confirmed_at is None:
        return False
    key = await issue(session, found.member, TokenPurpose.reset, found.member.email, now)
    minutes = int(LIFETIMES[TokenPurpose.reset].total_seconds() // 60)
    message = mail_messages.reset_password(found.member.email, found.actor.username, key, minutes)
    mail_outbox.queue(session, message, now)
    await session.commit()
    return True


async def reset_link(session: AsyncSession, username: str, now: datetime) -> str:
    """A reset link's path for an admin to hand on (`porch user reset-password`)."""
    found = await local_member(session, username)
    key = await issue(session, found.member, TokenPurpose.reset, found.member.email, now)
    await session.commit()
    return "/password/reset/" + key


async def reset_password(
    session: AsyncSession, key: str, *, new: str, revoke_apps: bool, now: datetime
) -> Signed:
    """Follow a reset link: set the new password and end every session the member had."""
    passwords.check_strength(new)
    token, found = await find(session, key, (TokenPurpose.reset,), now)
    if found.member.state != MemberState.active:
        raise NotFound(GONE)
    await _use(session, token, now)
    found.member.password_hash = await asyncio.to_thread(passwords.hash_password, new)
    # Following the link proves the address as well as a confirmation link would.
    if found.member.email_confirmed_at is None and token.email == found.member.email:
        found.member.email_confirmed_at = now
    session.add(found.member)
    assert found.member.id is not None
    ended = await sessions.end_others(session, found.member.id, keep_key=None)
    if revoke_apps:
        await oauth_tokens.revoke_member_tokens(session, found.member.id, now)
    await session.commit()
    log.info("@%s set a new password by mail; %d sessions ended", found.actor.username, ended)
    return found


async def request_change(
    session: AsyncSession, found: Signed, *, new_email: str, password: str, now: datetime
) -> str:
    """Mail a confirmation link to a new address (the old one stays until it is
    followed) and a word to the old one. Returns the new address as cleaned."""
    if not await asyncio.to_thread(passwords.verify_password, found.member.password_hash, password):
        raise Invalid("Your current password is not right.", field="current_password")
    email = signup_checks.clean_email(new_email)
    if email == found.member.email:
        raise Invalid("That is your address already.", field="email")
    used = await session.exec(select(Member.id).where(Member.email == email))
    if used.first() is not None:
        raise Conflict("An account with that email address exists already.", field="email")
    key = await issue(session, found.member, TokenPurpose.change, email, now)
    name = found.actor.username
    mail_outbox.queue(
        session, mail_messages.change_address(email, name, key, _hours(TokenPurpose.change)), now
    )
    if found.member.email_confirmed_at is not None:
        mail_outbox.queue(
            session, mail_messages.address_changing(found.member.email, name, email), now
        )
    await session.commit()
    return email
