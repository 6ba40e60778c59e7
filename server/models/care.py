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
    #: A post's pause: what its author did before it went out.
    pause = "pause"
    #: A thread's pile-on shield went up.
    shield = "shield"


class CareEvent(SQLModel, table=True):
    """One moment of care (a pause, nudge or card shown, a thread slowed or shielded),
    what the member did then, and what followed (filled in later by the worker)."""

    __tablename__ = "care_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: CareKind = Field(sa_type=String(16), index=True)
    #: For cards: which rule chose it (stranger, old_post, hot_thread, …); for slow mode
    #: and the shield, who turned it on (manual: the author, moderator, hot / auto).
    detail: str = Field(default="", max_length=32)
    #: rephrased, draft, as_written; didnt_fit; edited, withdrawn, then reposted or
    #: discarded; or empty while unknown.
    outcome: str = Field(default="", max_length=16)
    actor_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    #: The person replied to (cards are capped per person).
    target_id: int | None = Field(default=None, foreign_key="actors.id")
    #: The post the moment was about: the one replied to, or the slowed thread's root.
    post_id: int | None = Field(default=None, sa_type=BigInteger)
    #: The member's own post that followed the moment (the reply written, the post paused).
    reply_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    #: A withdrawn post's draft (pauses only): its outcome moves on to "reposted" or
    #: "discarded" when the member posts or throws away that draft.
    draft_id: int | None = Field(default=None, index=True)
    #: The norms version in force (the latest norm change's id; 0 before any change).
    norms_version: int = Field(default=0)
    #: Which arm of a holdout or norm experiment the moment fell in; empty outside one.
    arm: str = Field(default="", max_length=32)
    #: Whether the reply as published still trips the tone check (nudges only).
    still_flagged: bool | None = Field(default=None)
    #: Follow-ups, once their windows have passed: the person replied to answered within
    #: 48 hours; blocked, muted or reported the replier within 7 days; the thread went
    #: into slow mode after the reply; the thread's author hid the reply.
    answered: bool | None = Field(default=None)
    turned_away: bool | None = Field(default=None)
    slowed: bool | None = Field(default=None)
    hidden: bool | None = Field(default=None)
    #: When the follow-ups were computed; None while their windows are open.
    followed_up_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class LinkOpen(SQLModel, table=True):
    """A member opened a link from a post through Porch (so a card can suggest reading
    first only when they have not)."""

    __tablename__ = "link_opens"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    #: SHA-256 of the URL: what was read is nobody's business but whether.
    url_hash: str = Field(max_length=64, primary_key=True)
    opened_at: datetime = Field(default_factory=utcnow)
