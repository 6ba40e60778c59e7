"""What each of Porch's mails says, in plain words.

Links are written from the site's root as `SITE + path`; the sender (server/mail.py),
which knows the address Porch is served at, makes them whole. So the services that
queue a mail need not know it, and a mail queued before a change of domain still
points to the right place.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Stands for the site's address (https://porch.example) in a queued mail's body.
SITE = "{site}"


@dataclass(frozen=True)
class Message:
    """One mail to one address."""

    to: str
    subject: str
    body: str


def link(path: str) -> str:
    """A link to `path` on this site, made whole when the mail is sent."""
    return SITE + path


def confirm_address(to: str, username: str, key: str, hours: int) -> Message:
    return Message(
        to,
        "Confirm your email address",
        f"Hello @{username},\n\n"
        "Follow this link to confirm that this address is yours:\n\n"
        f"{link('/email/confirm/' + key)}\n\n"
        f"The link works once, for {hours} hours. If you did not sign up, ignore this mail:"
        " nothing else will be sent here unless the address is confirmed.\n",
    )


def change_address(to: str, username: str, key: str, hours: int) -> Message:
    return Message(
        to,
        "Confirm your new email address",
        f"Hello @{username},\n\n"
        "You asked to use this address for your account. Follow this link to confirm it:\n\n"
        f"{link('/email/confirm/' + key)}\n\n"
        f"The link works once, for {hours} hours. Until then your old address stays.\n",
    )


def address_changing(to: str, username: str, new: str) -> Message:
    return Message(
        to,
        "Your email address is being changed",
        f"Hello @{username},\n\n"
        f"Someone signed in as you asked to use {new} for your account instead of this"
        " address. Nothing changes until that address is confirmed.\n\n"
        "If it was not you, change your password at once:\n\n"
        f"{link('/settings/password')}\n",
    )


def reset_password(to: str, username: str, key: str, minutes: int) -> Message:
    return Message(
        to,
        "Set a new password",
        f"Hello @{username},\n\n"
        "Someone (we hope you) asked to set a new password for your account. Follow this"
        " link to choose one:\n\n"
        f"{link('/password/reset/' + key)}\n\n"
        f"The link works once, for {minutes} minutes. Setting a new password logs you out"
        " everywhere else. If you did not ask, ignore this mail: your password stays.\n",
    )


def approved(to: str, username: str) -> Message:
    return Message(
        to,
        "Your sign-up is approved",
        f"Hello @{username},\n\nAn admin approved your sign-up. You can log in now:\n\n"
        f"{link('/login')}\n",
    )


def rejected(to: str, username: str) -> Message:
    return Message(
        to,
        "Your sign-up was not approved",
        f"Hello,\n\nThe admins did not approve the sign-up for @{username}, so the account"
        " cannot be used. You will get no more mail from us.\n",
    )


def moderation_notice(to: str, username: str, text: str) -> Message:
    return Message(
        to,
        "A note from the moderators",
        f"Hello @{username},\n\n{text}\n\n"
        "You can read it, and appeal a decision you think wrong, on your standing page:\n\n"
        f"{link('/settings/standing')}\n",
    )
