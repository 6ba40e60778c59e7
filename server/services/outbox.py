"""The outbox: a row for each thing a member did that other servers must hear about.

Written in the caller's transaction, so the change and the duty to tell others commit
together; federation turns each row into activities and deliveries (see DESIGN.md).
Rows whose audience turns out to be only local people are simply fanned out to nobody.

Each kind has a typed payload: what the activity needs beyond the row's post and
target, kept because those rows may be gone by the time it is built (an undone like, a
refused follow). Activity ids are tokens (server/ids.py), never row ids, so no activity
id is ever given to a second activity.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from server.ids import new_activity_id
from server.models import OutboxItem, OutboxKind
from server.services import due

P = TypeVar("P", bound="Payload")


class Payload(BaseModel):
    """What an outbox row keeps for its activity; stored as JSON, read back typed."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Nothing(Payload):
    """The row's post or actor is all the activity needs (Create, Delete, Announce)."""


class Minted(Payload):
    """An activity of its own (Update, Accept, Reject), with an id minted when recorded."""

    activity_id: str = Field(default_factory=new_activity_id)


class Sent(Payload):
    """A Like, Follow or Block, or its Undo: the id the row was given when made, so the
    Undo names what it undoes."""

    activity_id: str


class Answer(Minted):
    """Accept or Reject of a remote follow: the Follow's id as its sender gave it."""

    follow_uri: str | None


class Unboost(Payload):
    """Undo of an Announce: the boost row is gone, so its id and the post it shared."""

    boost_id: int
    post_id: int


class Flagged(Minted):
    """A report forwarded to another server: the report is read when the Flag is built."""

    report_id: int


class Revocation(Payload):
    """Delete of a quote authorization a member gave: it is named by its own id."""

    authorization_id: str


class InteractionAnswer(Minted):
    """Accept or Reject of someone elsewhere's interaction with a member's post (the
    row's post): what it answers, kept whole because a refused one is stored nowhere."""

    interaction: str  # reply, like, boost or quote
    #: The interaction's own id (the reply's Note, the Like, the Announce).
    object_uri: str | None
    #: The polite request's id (LikeRequest...), which the answer then names instead.
    request_uri: str | None
    #: The approval's token: names its authorization document (Accept only).
    authorization_id: str | None = None


class Asked(Payload):
    """A member's polite request to interact with a post elsewhere: its request row."""

    request_id: int


#: Which payload each kind keeps; `record` refuses any other.
PAYLOADS: dict[OutboxKind, type[Payload]] = {
    OutboxKind.create: Nothing,
    OutboxKind.update: Minted,
    OutboxKind.delete: Nothing,
    OutboxKind.announce: Nothing,
    OutboxKind.undo_announce: Unboost,
    OutboxKind.like: Sent,
    OutboxKind.undo_like: Sent,
    OutboxKind.follow: Sent,
    OutboxKind.undo_follow: Sent,
    OutboxKind.accept_follow: Answer,
    OutboxKind.reject_follow: Answer,
    OutboxKind.block: Sent,
    OutboxKind.undo_block: Sent,
    OutboxKind.update_actor: Minted,
    OutboxKind.delete_actor: Nothing,
    OutboxKind.flag: Flagged,
    OutboxKind.quote_request: Sent,
    OutboxKind.revoke_quote: Revocation,
    OutboxKind.quote_approved: Minted,
    OutboxKind.accept_interaction: InteractionAnswer,
    OutboxKind.reject_interaction: InteractionAnswer,
    OutboxKind.interaction_request: Asked,
}


def record(
    session: AsyncSession,
    kind: OutboxKind,
    actor_id: int | None,
    *,
    now: datetime,
    post_id: int | None = None,
    target_actor_id: int | None = None,
    payload: Payload | None = None,
) -> None:
    """Add an outbox row to the session; the caller commits.

    Without `payload`, the kind's payload is made from its defaults (a minted id).
    """
    assert actor_id is not None
    expected = PAYLOADS[kind]
    payload = payload if payload is not None else expected()
    if type(payload) is not expected:
        raise TypeError(f"{kind} keeps a {expected.__name__}, not a {type(payload).__name__}")
    session.add(
        OutboxItem(
            kind=kind,
            actor_id=actor_id,
            post_id=post_id,
            target_actor_id=target_actor_id,
            payload=payload.model_dump(mode="json"),
            created_at=now,
        )
    )
    due.announce_work(session, due.FEDERATION)


def read(item: OutboxItem, payload_type: type[P]) -> P:
    """The row's payload as `payload_type`, which must be the one its kind keeps."""
    if PAYLOADS[item.kind] is not payload_type:
        raise TypeError(f"{item.kind} keeps a {PAYLOADS[item.kind].__name__}")
    return payload_type.model_validate(item.payload)
