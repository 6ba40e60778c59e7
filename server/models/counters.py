"""Counts kept in rows beside posts and people, changed with the change they count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field, SQLModel


class PostCounter(SQLModel, table=True):
    """A post's public figures. No row means every figure is zero."""

    __tablename__ = "post_counters"

    post_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    #: Published public and unlisted replies (as Mastodon counts them: never private ones).
    replies_count: int = Field(default=0)
    #: Published boosts.
    reblogs_count: int = Field(default=0)
    #: Likes.
    favourites_count: int = Field(default=0)
    quotes_count: int = Field(default=0)


class ActorCounter(SQLModel, table=True):
    """A person's figures. No row means every figure is zero."""

    __tablename__ = "actor_counters"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True, ondelete="CASCADE")
    #: Published posts, boosts included, whoever may see them.
    statuses_count: int = Field(default=0)
    #: Accepted follows, either way.
    followers_count: int = Field(default=0)
    following_count: int = Field(default=0)
    last_status_at: datetime | None = Field(default=None)
