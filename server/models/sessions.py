"""Signed-in web sessions: one row per browser a member logged in with."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class WebSession(SQLModel, table=True):
    """A browser's session. Its cookie holds a random key; the row holds only the key's
    SHA-256 digest, so a copy of the database cannot be used to sign in. Deleting the row
    ends the session wherever the cookie has been copied."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    created_at: datetime
    last_seen_at: datetime
    #: What the browser said it was, and where it logged in from, for the member's list.
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)
