"""Likes and blocks between people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.ids import ACTIVITY_ID_LENGTH, new_activity_id


class Like(SQLModel, table=True):
    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("actor_id", "post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id")
    post_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    #: The Like activity's id, for remote likes (Undo refers to it).
    uri: str | None = Field(default=None, max_length=2048, index=True)
    #: Names the Like a local member sends (and its Undo); new for every like.
    activity_id: str = Field(
        default_factory=new_activity_id, max_length=ACTIVITY_ID_LENGTH, unique=True, index=True
    )
    created_at: datetime = Field(default_factory=utcnow)


class Block(SQLModel, table=True):
    """`actor` blocked `target`: no follows either way, and target's posts are hidden."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id")
    target_id: int = Field(foreign_key="actors.id", index=True)
    uri: str | None = Field(default=None, max_length=2048, index=True)
    #: Names the Block a local member sends (and its Undo); new for every block.
    activity_id: str = Field(
        default_factory=new_activity_id, max_length=ACTIVITY_ID_LENGTH, unique=True, index=True
    )
    created_at: datetime = Field(default_factory=utcnow)


class Mute(SQLModel, table=True):
    """`actor` muted `target`: target's posts leave actor's timelines (target is not told)."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("actor_id", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id")
    target_id: int = Field(foreign_key="actors.id", index=True)
    #: Whether target's mentions stay out of actor's notifications too.
    notifications: bool = Field(default=True)
    expires_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class Bookmark(SQLModel, table=True):
    """A post a member kept for later; private to them."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("actor_id", "post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    post_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    created_at: datetime = Field(default_factory=utcnow)
