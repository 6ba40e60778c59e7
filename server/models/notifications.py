"""Notifications a member sees: follows, requests, replies, mentions, likes, boosts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class NotificationKind(StrEnum):
    follow = "follow"
    reply = "reply"
    mention = "mention"
    follow_request = "follow_request"
    favourite = "favourite"
    reblog = "reblog"
    update = "update"
    #: The thread's author hid the recipient's reply (only where the norm tells them).
    reply_hidden = "reply_hidden"
    #: Moderation: an action about the member, the outcome of their report or appeal
    #: (what it says is in a ModerationNotice).
    warning = "warning"  # Mastodon's moderation_warning
    report_outcome = "report_outcome"
    appeal_outcome = "appeal_outcome"
    new_report = "new_report"  # to moderators: Mastodon's admin.report
    #: Someone quoted the member's post; a post the member quoted was edited.
    quote = "quote"
    quoted_update = "quoted_update"
    #: An interaction with the member's post waits for their approval (GoToSocial's
    #: pending.reply, pending.favourite, pending.reblog; a quote waiting too).
    pending_reply = "pending_reply"
    pending_like = "pending_like"
    pending_boost = "pending_boost"
    pending_quote = "pending_quote"
    #: Another author approved or refused the member's reply, like, boost or quote.
    approval_outcome = "approval_outcome"
    #: The pile-on shield went up on the member's post.
    pile_on_shield = "pile_on_shield"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
        # The filtered inbox: few rows, counted per person on the notifications page.
        Index(
            "ix_notifications_filtered",
            "recipient_id",
            "from_actor_id",
            sqlite_where=text("filtered"),
            postgresql_where=text("filtered"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="actors.id")
    kind: NotificationKind = Field(sa_type=String(16))
    from_actor_id: int = Field(foreign_key="actors.id")
    post_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)
    #: Held in the filtered inbox by the member's notification policy (see
    #: server/services/notification_policy.py) until they accept its sender.
    filtered: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
