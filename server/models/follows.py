"""Who follows whom."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.ids import ACTIVITY_ID_LENGTH, new_activity_id
from server.models.states import StateTable


class FollowState(StrEnum):
    requested = "requested"  # waiting for a locked account to approve
    accepted = "accepted"


#: How a follow moves. A refused or withdrawn request, and an ended follow, leave the
#: table (following again starts afresh).
FOLLOW_STATES = StateTable(
    "follows",
    FollowState,
    initial=frozenset({FollowState.requested, FollowState.accepted}),
    moves={(FollowState.requested, FollowState.accepted): "approved, here or by its server"},
    exits={FollowState.requested: "refused", FollowState.accepted: "ended"},
)


class Follow(SQLModel, table=True):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("follower_id", "followed_id"),)

    id: int | None = Field(default=None, primary_key=True)
    follower_id: int = Field(foreign_key="actors.id")
    followed_id: int = Field(foreign_key="actors.id", index=True)
    state: FollowState = Field(default=FollowState.accepted, sa_type=String(16))
    #: The Follow activity's id: remote Accept, Reject and Undo refer to it.
    uri: str | None = Field(default=None, max_length=2048, index=True)
    #: Names the Follow a local member sends: remote Accept, Reject and Undo refer to
    #: it. New for every follow, so following again is heard again.
    activity_id: str = Field(
        default_factory=new_activity_id, max_length=ACTIVITY_ID_LENGTH, unique=True, index=True
    )
    created_at: datetime = Field(default_factory=utcnow)
