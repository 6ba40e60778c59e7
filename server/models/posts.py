"""Posts, their mentions and hashtags, and withdrawn drafts; with the post state machine."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    followers = "followers"  # Mastodon calls this "private"
    direct = "direct"


class PostState(StrEnum):
    pending = "pending"  # in its pause: only the author sees it
    published = "published"
    deleted = "deleted"


#: Every allowed state change. A withdrawn pending post is not a state: it leaves the
#: posts table and becomes a Draft, since it was never seen by anyone.
TRANSITIONS: frozenset[tuple[PostState, PostState]] = frozenset(
    {
        (PostState.pending, PostState.published),
        (PostState.published, PostState.deleted),
    }
)


class InvalidTransition(Exception):
    pass


def check_transition(before: PostState, after: PostState) -> None:
    """Raise InvalidTransition unless before -> after is a declared edge."""
    if (before, after) not in TRANSITIONS:
        raise InvalidTransition(f"a post cannot go from {before} to {after}")


def _post_fk(**kwargs: object) -> Column:  # type: ignore[type-arg]
    return Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), **kwargs)


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_actor_id_id", "actor_id", "id"),)

    #: Time-ordered (see server/ids.py): sorts by the moment the post publishes.
    # INTEGER on SQLite makes the id the rowid (64-bit there too), saving an index hop.
    id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
        )
    )
    actor_id: int = Field(foreign_key="actors.id")
    in_reply_to_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    #: The first post of the thread (the post itself for a top-level post).
    root_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    text: str = Field(max_length=100_000)
    content_html: str = Field(max_length=200_000)
    spoiler_text: str = Field(default="", max_length=500)
    visibility: Visibility = Field(default=Visibility.public, sa_type=String(16))
    state: PostState = Field(default=PostState.pending, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
    publish_at: datetime
    published_at: datetime | None = Field(default=None)
    edited_at: datetime | None = Field(default=None)
    deleted_at: datetime | None = Field(default=None)

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to_id is not None


class Mention(SQLModel, table=True):
    __tablename__ = "mentions"

    post_id: int = Field(sa_column=_post_fk(primary_key=True))
    actor_id: int = Field(foreign_key="actors.id", primary_key=True, index=True)


class PostTag(SQLModel, table=True):
    __tablename__ = "post_tags"

    post_id: int = Field(sa_column=_post_fk(primary_key=True))
    tag: str = Field(max_length=100, primary_key=True, index=True)


class Draft(SQLModel, table=True):
    """A withdrawn post, handed back to its author to revise or discard."""

    __tablename__ = "drafts"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actors.id", index=True)
    in_reply_to_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    text: str = Field(max_length=100_000)
    spoiler_text: str = Field(default="", max_length=500)
    visibility: Visibility = Field(default=Visibility.public, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
