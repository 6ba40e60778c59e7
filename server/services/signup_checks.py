"""The rules a new member's username, email and password must meet, checked together."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member
from server.services import passwords, usernames
from server.services.errors import Conflict, Invalid, ServiceError, one_or_several


def clean_email(email: str) -> str:
    """`email` normalised, or Invalid with what is wrong with it."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"That email address does not look right: {exc}", field="email") from None


async def checked(
    session: AsyncSession, username: str, email: str, password: str, reason_error: str = ""
) -> tuple[str, str]:
    """The username and email cleaned, after every rule has been checked: all that fail
    are raised together (Several), so a sign-up form can show each at once."""
    errors: list[ServiceError] = []
    try:
        username = usernames.validate(username)
        taken = await session.exec(
            select(Actor.id).where(Actor.acct_key == usernames.normalise(username))
        )
        if taken.first() is not None:
            raise Conflict(f"The username “{username}” is taken; choose another.", field="username")
    except ServiceError as error:
        errors.append(error)
    try:
        email = clean_email(email)
        used = await session.exec(select(Member.id).where(Member.email == email))
        if used.first() is not None:
            raise Conflict("An account with that email address exists already.", field="email")
    except ServiceError as error:
        errors.append(error)
    try:
        passwords.check_strength(password)
    except ServiceError as error:
        errors.append(error)
    if reason_error:
        errors.append(Invalid(reason_error, field="reason"))
    if errors:
        raise one_or_several(errors)
    return username, email
