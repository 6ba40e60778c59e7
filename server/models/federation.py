"""Federation bookkeeping: what must go out, each delivery, remote domains, what came in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.models.states import StateTable


class OutboxKind(StrEnum):
    """Something a member did that other servers must hear about."""

    create = "create"  # a post published after its pause
    update = "update"  # a published post edited
    delete = "delete"  # a published post deleted
    announce = "announce"
    undo_announce = "undo_announce"
    like = "like"
    undo_like = "undo_like"
    follow = "follow"
    undo_follow = "undo_follow"
    accept_follow = "accept_follow"
    reject_follow = "reject_follow"
    block = "block"
    undo_block = "undo_block"
    update_actor = "update_actor"
    delete_actor = "delete_actor"
    flag = "flag"  # a report forwarded to the reported account's server
    #: Quote posts (FEP-044f): asking another server and taking approval back (answers to
    #: a QuoteRequest are accept_interaction / reject_interaction).
    quote_request = "quote_request"
    revoke_quote = "revoke_quote"
    quote_approved = "quote_approved"  # Update of a member's quote carrying its approval
    #: A member's answer to someone elsewhere's reply, like, boost or quote of their post.
    accept_interaction = "accept_interaction"
    reject_interaction = "reject_interaction"
    #: A member asks another server's author to approve their reply or like.
    interaction_request = "interaction_request"


class OutboxItem(SQLModel, table=True):
    """Written in the same transaction as the change it reports; fanned out into
    deliveries by a job. References are ids; `payload` is the kind's typed payload
    (server/services/outbox.py) as JSON: what the activity needs when the referenced row
    may be gone by then (an undone like, a refused follow), and the activity's id."""

    __tablename__ = "outbox_items"

    id: int | None = Field(default=None, primary_key=True)
    kind: OutboxKind = Field(sa_type=String(24))
    actor_id: int = Field(foreign_key="actors.id")
    post_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    #: The one remote actor this is for (follows, accepts, blocks); None: the audience.
    target_actor_id: int | None = Field(default=None, foreign_key="actors.id")
    payload: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    #: Set once delivery rows exist: the sweep fans out items where this is empty.
    fanned_out_at: datetime | None = Field(default=None, index=True)


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # permanent refusal or retries exhausted


#: How a delivery moves: claimed and retried while pending, then finished one way.
DELIVERY_STATES = StateTable(
    "deliveries",
    DeliveryState,
    initial=frozenset({DeliveryState.pending}),
    moves={
        (DeliveryState.pending, DeliveryState.pending): "claimed by a sweeper, or due again later",
        (DeliveryState.pending, DeliveryState.delivered): "the inbox took it",
        (DeliveryState.pending, DeliveryState.failed): "refused for good, or out of retries",
    },
    exits={DeliveryState.pending: "its server was blocked"},
)


class Delivery(SQLModel, table=True):
    """One signed POST of one activity to one inbox, with its retry history."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_item_id: int = Field(
        sa_column=Column(
            ForeignKey("outbox_items.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    #: The signer (a member's actor, or the instance actor).
    actor_id: int = Field(foreign_key="actors.id")
    inbox_url: str = Field(max_length=2048)
    domain: str = Field(max_length=255, index=True)
    body: str = Field(max_length=1_000_000)
    state: DeliveryState = Field(default=DeliveryState.pending, sa_type=String(16))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None)


class DomainPolicy(StrEnum):
    none = "none"
    limit = "limit"  # accepted, kept out of public timelines and strangers' notifications
    block = "block"  # everything refused, nothing delivered


class Domain(SQLModel, table=True):
    """What Porch knows and decided about a remote server."""

    __tablename__ = "domains"

    domain: str = Field(primary_key=True, max_length=255)
    policy: DomainPolicy = Field(default=DomainPolicy.none, sa_type=String(16))
    reason: str = Field(default="", max_length=1000)
    #: Distinct days on which a delivery there ran out of retries (Mastodon marks a
    #: server unavailable after 7 such days); reset by any success.
    failure_days: list[str] = Field(default_factory=list, sa_type=JSON)
    unavailable_since: date | None = Field(default=None)
    last_success_at: datetime | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow)


class ReceivedActivity(SQLModel, table=True):
    """An incoming activity id already applied: a redelivery changes nothing."""

    __tablename__ = "received_activities"

    uri: str = Field(primary_key=True, max_length=2048)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class Tombstone(SQLModel, table=True):
    """A remote object deleted by its author: a late or replayed Create is ignored."""

    __tablename__ = "tombstones"

    uri: str = Field(primary_key=True, max_length=2048)
    deleted_at: datetime = Field(default_factory=utcnow)
