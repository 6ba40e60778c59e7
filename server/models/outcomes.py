"""What remains of care events past their keeping, and the private welcome answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class CareDaily(SQLModel, table=True):
    """Counts of one day's care events of one kind, outcome and arm, once the events
    themselves are gone (`outcomes.keep_days`). Nothing here names a member."""

    __tablename__ = "care_daily"

    day: date = Field(primary_key=True)
    kind: str = Field(max_length=16, primary_key=True)
    detail: str = Field(default="", max_length=32, primary_key=True)
    outcome: str = Field(default="", max_length=16, primary_key=True)
    arm: str = Field(default="", max_length=32, primary_key=True)
    norms_version: int = Field(default=0, primary_key=True)
    events: int = 0
    #: Different members that day (a sum over days overcounts; the largest day is a
    #: lower bound on the members of a longer span).
    members: int = 0
    #: Of the events, how many had their follow-ups computed, and how many of those
    #: were answered, turned away, slowed, hidden; and nudged replies still flagged.
    followed_up: int = 0
    answered: int = 0
    turned_away: int = 0
    slowed: int = 0
    hidden: int = 0
    still_flagged: int = 0


class ReplyWelcome(SQLModel, table=True):
    """A member's private answer to "Was this reply welcome?" about a reply to them."""

    __tablename__ = "reply_welcomes"

    post_id: int = Field(sa_type=BigInteger, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    welcome: bool
    answered_at: datetime = Field(default_factory=utcnow, index=True)
