"""Reports, what moderators did about them, appeals, notes on accounts and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.models.states import StateTable


class ReportCategory(StrEnum):
    """Mastodon's report categories; `violation` is "breaks a community norm"."""

    spam = "spam"
    legal = "legal"
    violation = "violation"
    other = "other"


class ReportState(StrEnum):
    open = "open"
    resolved = "resolved"


#: A report waits in the queue until a moderator resolves it; it may be reopened.
REPORT_STATES = StateTable(
    "reports",
    ReportState,
    initial=frozenset({ReportState.open}),
    moves={
        (ReportState.open, ReportState.resolved): "a moderator resolved it",
        (ReportState.resolved, ReportState.open): "a moderator reopened it",
        (ReportState.open, ReportState.open): "assigned, unassigned or forwarded",
        (ReportState.resolved, ReportState.resolved): "assigned or unassigned",
    },
)


class Report(SQLModel, table=True):
    """Someone here (or a server elsewhere, by a Flag) asks moderators to look at an account."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_state_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The member who reported; None for a report another server sent (a Flag).
    reporter_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    #: The account reported.
    target_id: int = Field(foreign_key="actors.id", index=True)
    category: ReportCategory = Field(default=ReportCategory.other, sa_type=String(16))
    comment: str = Field(default="", max_length=1000)
    #: The instance rules cited (their ids in /api/v1/instance/rules) and their text then.
    rule_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    rules_cited: list[str] = Field(default_factory=list, sa_type=JSON)
    #: The version of the rules norm (`rules.text`) the report was made under.
    norm_version: int = Field(default=0)
    #: The reporter asked for it to go to the account's server; when it went.
    forward: bool = Field(default=False)
    forwarded_at: datetime | None = Field(default=None)
    #: The server that sent it (incoming Flags); None for members' reports.
    origin_domain: str | None = Field(default=None, max_length=255)
    #: Who on that server sent the Flag (Mastodon: its instance actor).
    flagged_by_id: int | None = Field(default=None, foreign_key="actors.id")
    #: The Flag's id: the sender's for incoming ones, Porch's for forwarded ones.
    uri: str | None = Field(default=None, max_length=2048, unique=True)
    assignee_id: int | None = Field(default=None, foreign_key="actors.id")
    state: ReportState = Field(default=ReportState.open, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = Field(default=None)
    resolved_by_id: int | None = Field(default=None, foreign_key="actors.id")


class ReportedPost(SQLModel, table=True):
    """A post as it read when it was reported: kept after the post is edited or deleted."""

    __tablename__ = "reported_posts"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(ForeignKey("reports.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    #: The post itself while it exists.
    post_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
    )
    uri: str | None = Field(default=None, max_length=2048)
    url: str | None = Field(default=None, max_length=2048)
    content_html: str = Field(default="", max_length=200_000)
    spoiler_text: str = Field(default="", max_length=500)
    visibility: str = Field(default="public", max_length=16)
    media_descriptions: list[str] = Field(default_factory=list, sa_type=JSON)
    published_at: datetime | None = Field(default=None)
    edited_at: datetime | None = Field(default=None)


class ActionKind(StrEnum):
    dismiss = "dismiss"  # nothing to do about the account
    warn = "warn"  # the member is told, with the norm cited
    delete_posts = "delete_posts"
    limit = "limit"  # kept off public timelines and strangers' notifications
    suspend = "suspend"


#: The actions a member can appeal (once each).
APPEALABLE = frozenset(
    {ActionKind.warn, ActionKind.delete_posts, ActionKind.limit, ActionKind.suspend}
)


class ModerationAction(SQLModel, table=True):
    """What a moderator decided about an account, citing a norm."""

    __tablename__ = "moderation_actions"

    id: int | None = Field(default=None, primary_key=True)
    kind: ActionKind = Field(sa_type=String(16))
    target_id: int = Field(foreign_key="actors.id", index=True)
    report_id: int | None = Field(default=None, foreign_key="reports.id", index=True)
    #: None when taken from the command line.
    moderator_id: int | None = Field(default=None, foreign_key="actors.id")
    reason: str = Field(default="", max_length=1000)
    #: The norm cited ("rules.text" names a rule, quoted in `norm_text`), and its version.
    norm_key: str = Field(default="", max_length=64)
    norm_version: int = Field(default=0)
    norm_text: str = Field(default="", max_length=500)
    #: The posts deleted by a delete_posts action.
    post_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    #: When its effect was lifted (an appeal granted, or a moderator's change of mind).
    lifted_at: datetime | None = Field(default=None)


class AppealState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


#: An appeal is decided once.
APPEAL_STATES = StateTable(
    "appeals",
    AppealState,
    initial=frozenset({AppealState.pending}),
    moves={
        (AppealState.pending, AppealState.approved): "a moderator granted it",
        (AppealState.pending, AppealState.rejected): "a moderator turned it down",
    },
)


class Appeal(SQLModel, table=True):
    """A member's one answer to an action taken about them."""

    __tablename__ = "appeals"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="moderation_actions.id", unique=True)
    appellant_id: int = Field(foreign_key="actors.id")
    text: str = Field(max_length=2000)
    state: AppealState = Field(default=AppealState.pending, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="actors.id")
    decided_at: datetime | None = Field(default=None)
    #: What the moderator told the member with the decision.
    outcome: str = Field(default="", max_length=1000)


class AccountNote(SQLModel, table=True):
    """A moderator's note on an account, seen only by moderators."""

    __tablename__ = "account_notes"

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="actors.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="actors.id")
    text: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class NoticeKind(StrEnum):
    """What a moderation notification tells its reader."""

    warning = "warning"  # an action about them (a warning, a limit, deleted posts)
    report_outcome = "report_outcome"  # their report was handled
    appeal_outcome = "appeal_outcome"  # their appeal was decided


class ModerationNotice(SQLModel, table=True):
    """What a moderation notification is about; one per notification."""

    __tablename__ = "moderation_notices"

    notification_id: int = Field(
        sa_column=Column(
            ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    kind: NoticeKind = Field(sa_type=String(16))
    action_id: int | None = Field(default=None, foreign_key="moderation_actions.id")
    report_id: int | None = Field(default=None, foreign_key="reports.id")
    appeal_id: int | None = Field(default=None, foreign_key="appeals.id")
    #: The words shown: never who reported, nor more of the other person than the action
    #: made public.
    text: str = Field(default="", max_length=2000)


class AuditEntry(SQLModel, table=True):
    """One thing a moderator or admin did: who, what, when, to whom, why, under which norm."""

    __tablename__ = "audit_entries"

    id: int | None = Field(default=None, primary_key=True)
    #: Who did it; None for the command line or another server (an incoming Flag).
    actor_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    #: What was done, such as "report.resolve" or "action.warn".
    verb: str = Field(max_length=32, index=True)
    target_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    report_id: int | None = Field(default=None, foreign_key="reports.id")
    action_id: int | None = Field(default=None, foreign_key="moderation_actions.id")
    norm_key: str = Field(default="", max_length=64)
    norm_version: int | None = Field(default=None)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, index=True)
