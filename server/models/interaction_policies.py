"""Who may reply to, like, boost and quote a post; the interactions waiting for the
author's approval; and quote posts with the consent behind them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.ids import ACTIVITY_ID_LENGTH, new_activity_id
from server.models.states import StateTable


class Interaction(StrEnum):
    """What one person may do with another's post."""

    reply = "reply"
    like = "like"
    boost = "boost"
    quote = "quote"


class PostPolicy(SQLModel, table=True):
    """A post's interaction policy, fixed when it was written (or as its server sent it).

    Local posts get a row when composed; a remote post has one only when its server
    published an `interactionPolicy`. The JSON is `Policy.to_json()` of
    server/services/interaction_policies.py.
    """

    __tablename__ = "post_policies"

    post_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class PolicyDefault(SQLModel, table=True):
    """A member's own default policy for new posts of one visibility."""

    __tablename__ = "policy_defaults"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    visibility: str = Field(max_length=16, primary_key=True)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class RequestState(StrEnum):
    pending = "pending"  # waiting for the author of the post interacted with
    accepted = "accepted"
    rejected = "rejected"
    revoked = "revoked"  # accepted, then taken back by the author (quotes)


class Direction(StrEnum):
    #: Someone asks to interact with a post of a member here: a member here decides.
    incoming = "incoming"
    #: A member here interacts with a post elsewhere whose server decides.
    outgoing = "outgoing"


#: How an interaction request moves. An incoming request is decided by the post's
#: author; an outgoing one by the other server's Accept or Reject.
REQUEST_STATES = StateTable(
    "interaction_requests",
    RequestState,
    initial=frozenset({RequestState.pending, RequestState.accepted}),
    moves={
        (RequestState.pending, RequestState.accepted): "approved by the post's author",
        (RequestState.pending, RequestState.rejected): "refused by the post's author",
        (RequestState.accepted, RequestState.revoked): "approval taken back by the author",
    },
    exits={
        RequestState.pending: "the interaction was withdrawn or deleted before a decision",
        RequestState.accepted: "the interaction was undone or deleted",
        RequestState.rejected: "the interaction was undone or deleted",
        RequestState.revoked: "the interaction was undone or deleted",
    },
)


class InteractionRequest(SQLModel, table=True):
    """One interaction that needed, or got, the author's approval.

    Every approval given has a row: its `authorization_id` names the authorization
    document other servers dereference (/authorizations/<id>), new for every approval and
    never reused, whatever happens to the row.
    """

    __tablename__ = "interaction_requests"
    __table_args__ = (
        Index("ix_interaction_requests_target_state", "target_post_id", "state"),
        Index("ix_interaction_requests_author_state", "author_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: Interaction = Field(sa_type=String(8))
    direction: Direction = Field(sa_type=String(8))
    state: RequestState = Field(default=RequestState.pending, sa_type=String(16))
    #: The post interacted with (a member's post for incoming requests).
    target_post_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    #: Who decides: the target post's author.
    author_id: int = Field(foreign_key="actors.id")
    #: Who interacts.
    actor_id: int = Field(foreign_key="actors.id", index=True)
    #: The reply or quote post, or the boost row, when there is one.
    interacting_post_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    #: The interaction's own id (a remote reply's or quote's Note, a remote Like or
    #: Announce activity), for interactions not stored as a post here.
    object_uri: str | None = Field(default=None, max_length=2048, index=True)
    #: The request activity's id: a remote LikeRequest / ReplyRequest / AnnounceRequest /
    #: QuoteRequest (incoming), or ours (outgoing), which Accept and Reject name.
    request_uri: str | None = Field(default=None, max_length=2048, unique=True)
    #: Names the authorization document a member's approval publishes (incoming), and
    #: the request activity Porch sends (outgoing). New for every row, never reused.
    activity_id: str = Field(
        default_factory=new_activity_id, max_length=ACTIVITY_ID_LENGTH, unique=True, index=True
    )
    #: The authorization another server gave (outgoing, accepted).
    authorization_uri: str | None = Field(default=None, max_length=2048, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = Field(default=None)


class QuoteState(StrEnum):
    """The states Mastodon's Quote entity shows."""

    pending = "pending"  # asked, not yet approved
    accepted = "accepted"
    rejected = "rejected"  # the quoted author's server said no
    revoked = "revoked"  # approved, then taken back
    deleted = "deleted"  # the quoted post is gone
    unauthorized = "unauthorized"  # the quoted post may not be shown to this reader


QUOTE_STATES = StateTable(
    "quotes",
    QuoteState,
    initial=frozenset({QuoteState.pending, QuoteState.accepted}),
    moves={
        (QuoteState.pending, QuoteState.accepted): "the quoted author approved",
        (QuoteState.pending, QuoteState.rejected): "the quoted author refused",
        (QuoteState.accepted, QuoteState.revoked): "the quoted author took approval back",
        (QuoteState.pending, QuoteState.deleted): "the quoted post was deleted",
        (QuoteState.accepted, QuoteState.deleted): "the quoted post was deleted",
    },
    exits={
        QuoteState.pending: "the quoting post was deleted",
        QuoteState.accepted: "the quoting post was deleted",
        QuoteState.rejected: "the quoting post was deleted",
        QuoteState.revoked: "the quoting post was deleted",
        QuoteState.deleted: "the quoting post was deleted",
    },
)


class Quote(SQLModel, table=True):
    """`post_id` quotes another post; shown only with the quoted author's consent."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The quoting post.
    post_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    )
    #: The quoted post, once known here (None while it is being fetched, or once gone).
    quoted_post_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    #: The quoted post's ActivityPub id.
    quoted_uri: str = Field(max_length=2048, index=True)
    state: QuoteState = Field(default=QuoteState.pending, sa_type=String(16))
    #: The QuoteAuthorization that approved it (ours or the quoted server's).
    authorization_uri: str | None = Field(default=None, max_length=2048, index=True)
    #: The QuoteRequest asking for approval (ours for a member's quote, theirs otherwise).
    request_uri: str | None = Field(default=None, max_length=2048, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = Field(default=None)
