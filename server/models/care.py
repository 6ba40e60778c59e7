"""What the relational features did: each nudge, card and slowdown, and what followed.

Admins read these as the norms dashboard; nothing here names what anyone wrote.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class CareKind(StrEnum):
    tone_nudge = "tone_nudge"
    card = "card"
    slow_mode = "slow_mode"
    #: The newcomer rules, shown once in the composer.
    rules_shown = "rules_shown"


class CareEvent(SQLModel, table=True):
    """One nudge or card shown, or one thread slowed, with its outcome when known."""

    __tablename__ = "care_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: CareKind = Field(sa_type=String(16), index=True)
    #: For cards: which rule chose it (stranger, old_post, hot_thread, …).
    detail: str = Field(default="", max_length=32)
    #: rephrased, draft, as_written; didnt_fit; or empty while unknown.
    outcome: str = Field(default="", max_length=16)
    actor_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    #: The person replied to (cards are capped per person).
    target_id: int | None = Field(default=None, foreign_key="actors.id")
    post_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class LinkOpen(SQLModel, table=True):
    """A member opened a link from a post through Porch (so a card can suggest reading
    first only when they have not)."""

    __tablename__ = "link_opens"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    #: SHA-256 of the URL: what was read is nobody's business but whether.
    url_hash: str = Field(max_length=64, primary_key=True)
    opened_at: datetime = Field(default_factory=utcnow)
