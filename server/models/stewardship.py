"""Thread stewardship: replies a thread's author hid from their thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field, SQLModel


class HiddenReply(SQLModel, table=True):
    """A reply the thread's author hid: it collapses in the thread for everyone but its
    author and the thread's author, and leaves the thread's conversation signals."""

    __tablename__ = "hidden_replies"

    post_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    #: The thread it was hidden from (a thread is read whole, by its root).
    root_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    #: The member who hid it: the author of the thread's first post.
    hidden_by_id: int = Field(foreign_key="actors.id", ondelete="CASCADE")
    created_at: datetime
