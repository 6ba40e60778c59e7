"""Lists: a member's own selections of the people they follow, each a timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlmodel import Column, Field, SQLModel

from server.clock import utcnow


class RepliesPolicy(StrEnum):
    """Which replies a list shows, as Mastodon names them."""

    followed = "followed"  # replies to anyone the member follows
    list = "list"  # replies to people on the list
    none = "none"


class PersonList(SQLModel, table=True):
    __tablename__ = "lists"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    title: str = Field(max_length=100)
    replies_policy: RepliesPolicy = Field(default=RepliesPolicy.list, sa_type=String(16))
    #: Posts from the list's people leave the home timeline.
    exclusive: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class ListMember(SQLModel, table=True):
    __tablename__ = "list_members"

    list_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True)
    )
    actor_id: int = Field(foreign_key="actors.id", primary_key=True, index=True)
