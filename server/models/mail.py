"""Accounts by email: one-use links mailed to members, and the mail waiting to be sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class TokenPurpose(StrEnum):
    """What a mailed link does when followed."""

    confirm = "confirm"  # confirms the address given at sign-up
    reset = "reset"  # sets a new password
    change = "change"  # makes a new address the member's


class MailToken(SQLModel, table=True):
    """A link mailed to a member. The link holds a random key; the row holds only its
    SHA-256 digest, so a copy of the database opens nothing. Used once (`used_at`), and
    only until `expires_at`."""

    __tablename__ = "mail_tokens"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE", index=True)
    purpose: TokenPurpose = Field(sa_type=String(16))
    #: The address the link was sent to: confirming proves this address, no other.
    email: str = Field(max_length=320)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class OutgoingMail(SQLModel, table=True):
    """A mail waiting to be sent over SMTP, written in the same transaction as the change
    it tells of, so the change never waits on the mail server and the mail is not lost
    when that server is away: the mail sweep sends it, and tries again later on failure.
    A sent mail's row goes (its body may hold a link)."""

    __tablename__ = "outgoing_mails"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime
    next_attempt_at: datetime = Field(index=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
