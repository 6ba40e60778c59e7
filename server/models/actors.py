"""Actors (anyone on the fediverse, local or remote) and members (local logins)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.models.states import StateTable


class Actor(SQLModel, table=True):
    """A person who can post: a local member's public face, or a remote account."""

    __tablename__ = "actors"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    #: None for local actors; the remote host otherwise.
    domain: str | None = Field(default=None, max_length=255)
    #: Lower-cased "name" (local) or "name@domain" (remote): what uniqueness is checked on.
    acct_key: str = Field(max_length=320, unique=True)
    display_name: str = Field(default="", max_length=100)
    bio: str = Field(default="", max_length=2000)
    #: "How I like to be approached": shown to people about to reply to them.
    interaction_note: str = Field(default="", max_length=500)
    avatar_path: str | None = Field(default=None, max_length=255)
    header_path: str | None = Field(default=None, max_length=255)
    #: Profile fields (name/value pairs shown under the bio), at most four.
    fields: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    locked: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    #: Set while the person is suspended: their posts disappear from every read path.
    suspended_at: datetime | None = Field(default=None)
    #: Set while moderators limit the person: their posts stay off public timelines and
    #: out of the notifications of people who do not follow them (as a limited server's).
    limited_at: datetime | None = Field(default=None)
    #: "Person" for members; remote actors keep their type ("Service" is a bot).
    actor_type: str = Field(default="Person", max_length=32)
    discoverable: bool = Field(default=True)

    # What remote actors publish about themselves; empty for local actors, whose URLs
    # follow from the instance's domain (server/urls.py).
    uri: str | None = Field(default=None, max_length=2048, unique=True)
    url: str | None = Field(default=None, max_length=2048)
    inbox_url: str | None = Field(default=None, max_length=2048)
    shared_inbox_url: str | None = Field(default=None, max_length=2048)
    followers_url: str | None = Field(default=None, max_length=2048)
    avatar_url: str | None = Field(default=None, max_length=2048)
    header_url: str | None = Field(default=None, max_length=2048)
    #: When the remote document was last read; a stale actor is refetched.
    fetched_at: datetime | None = Field(default=None)

    @property
    def is_local(self) -> bool:
        return self.domain is None

    @property
    def name(self) -> str:
        """What to show as the person's name."""
        return self.display_name or self.username

    @property
    def handle(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


class ActorKey(SQLModel, table=True):
    """An actor's RSA key pair; remote actors have only the public half."""

    __tablename__ = "actor_keys"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    key_id: str = Field(max_length=2048, unique=True)
    public_pem: str = Field(max_length=4096)
    private_pem: str | None = Field(default=None, max_length=8192)
    created_at: datetime = Field(default_factory=utcnow)


class MemberRole(StrEnum):
    member = "member"
    moderator = "moderator"  # handles reports; cannot change norms or roles
    admin = "admin"


class MemberState(StrEnum):
    pending = "pending"  # signed up, waiting for an admin's approval
    active = "active"
    suspended = "suspended"
    rejected = "rejected"


#: How a member's standing moves: admins approve, reject, suspend and reinstate; nobody
#: goes back to waiting for approval.
MEMBER_STATES = StateTable(
    "members",
    MemberState,
    initial=frozenset({MemberState.pending, MemberState.active}),
    moves={
        (before, after): verb
        for before in MemberState
        for after, verb in (
            (MemberState.active, "approved or reinstated"),
            (MemberState.suspended, "suspended"),
            (MemberState.rejected, "rejected"),
        )
    },
)


class Member(SQLModel, table=True):
    """A local login: credentials and standing, tied to one actor."""

    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", unique=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=255)
    role: MemberRole = Field(default=MemberRole.member, sa_type=String(16))
    state: MemberState = Field(default=MemberState.active, sa_type=String(16))
    signup_reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = Field(default=None)
    #: The member's home order ("conversations" or "latest"); None follows the norm.
    home_order: str | None = Field(default=None, max_length=16)
    #: Always show like and boost counts, whatever the community's default.
    show_counts: bool = Field(default=False)
    #: When the member proved their email address by following the mailed link; None
    #: until then (server/services/mail_tokens.py says what waits for it).
    email_confirmed_at: datetime | None = Field(default=None)
