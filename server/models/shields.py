"""The pile-on shield: a member's thread answered by a surge of strangers, held for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field, SQLModel

#: Who ended a shield before its time (`PileOnShield.ended_by`).
ENDED_BY_AUTHOR = "author"


class PileOnShield(SQLModel, table=True):
    """One time a thread's shield went up. Up while `ended_at` is None and `ends_at` is
    in the future: a shield that ran its course needs no write to end (as a timed mute)."""

    __tablename__ = "pile_on_shields"

    id: int | None = Field(default=None, primary_key=True)
    #: The thread's first post: a pile-on runs through the whole thread, and the thread's
    #: author is the one it reaches (as slow mode, kept per thread too).
    post_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    #: The member it shields: the author of that post.
    author_id: int = Field(foreign_key="actors.id", ondelete="CASCADE", index=True)
    started_at: datetime = Field(index=True)
    ends_at: datetime
    ended_at: datetime | None = Field(default=None)
    #: "author" when its author turned it off; None while up or once it ran its course.
    ended_by: str | None = Field(default=None, max_length=16)
    #: Distinct people not following the author who had answered within the window.
    strangers: int
    #: Notifications from such people gathered into the shield's one notification.
    gathered: int = Field(default=0)
