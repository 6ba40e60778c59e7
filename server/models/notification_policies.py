"""What a member lets into their notifications: their policy, the people they let through,
and the threads they muted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class PolicyAction(StrEnum):
    """What happens to a notification a filter catches (Mastodon 4.3's three answers)."""

    #: Shown as any other.
    accept = "accept"
    #: Kept apart in the filtered inbox, counted per person, until accepted or dismissed.
    filter = "filter"
    #: Never stored.
    drop = "drop"


class NotificationPolicy(SQLModel, table=True):
    """A member's own answer for each filter; None keeps the community's default (a norm)."""

    __tablename__ = "notification_policies"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    for_not_following: PolicyAction | None = Field(default=None, sa_type=String(8))
    for_not_followers: PolicyAction | None = Field(default=None, sa_type=String(8))
    for_new_accounts: PolicyAction | None = Field(default=None, sa_type=String(8))
    for_private_mentions: PolicyAction | None = Field(default=None, sa_type=String(8))
    for_limited_accounts: PolicyAction | None = Field(default=None, sa_type=String(8))
    updated_at: datetime = Field(default_factory=utcnow)


class NotificationPermission(SQLModel, table=True):
    """`actor` accepted `from_actor`'s filtered notifications: no filter holds them back."""

    __tablename__ = "notification_permissions"
    __table_args__ = (UniqueConstraint("actor_id", "from_actor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id")
    from_actor_id: int = Field(foreign_key="actors.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ThreadMute(SQLModel, table=True):
    """`actor` muted the thread whose first post is `root_id`: nothing in it notifies them."""

    __tablename__ = "thread_mutes"
    __table_args__ = (UniqueConstraint("actor_id", "root_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id")
    # No foreign key: the root may be deleted while its replies (and the mute) remain.
    root_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
