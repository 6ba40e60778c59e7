"""Posts, their mentions and hashtags, and withdrawn drafts; with the post state table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from server.clock import utcnow
from server.models.states import StateTable


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    followers = "followers"  # Mastodon calls this "private"
    direct = "direct"


class PostState(StrEnum):
    pending = "pending"  # in its pause: only the author sees it
    published = "published"
    deleted = "deleted"


#: How a post moves. Local posts begin in their pause; boosts and posts from elsewhere
#: arrive published. A withdrawn pending post is not a state: it leaves the posts table
#: and becomes a Draft, since it was never seen by anyone.
POST_STATES = StateTable(
    "posts",
    PostState,
    initial=frozenset({PostState.pending, PostState.published}),
    moves={
        (PostState.pending, PostState.pending): "edited, or held to be withdrawn, in its pause",
        (PostState.pending, PostState.published): "its pause ended",
        (PostState.published, PostState.published): "edited after publishing",
        (PostState.published, PostState.deleted): "deleted by its author",
    },
    exits={
        PostState.pending: "withdrawn in its pause: it becomes a draft",
        PostState.published: "a boost taken back, or a post its server deleted",
    },
)


def _post_fk(
    *, primary_key: bool = False, nullable: bool = False, index: bool | None = None
) -> Column[int]:
    return Column(
        BigInteger,
        ForeignKey("posts.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=nullable,
        index=index,
    )


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_actor_id_id", "actor_id", "id"),
        # Covers the count of a person's posts and their last post time (account stats).
        Index("ix_posts_actor_id_state_published_at", "actor_id", "state", "published_at"),
        # A member's posts in their pause, and their boosts: few rows among many posts,
        # read on every page of their timelines.
        Index(
            "ix_posts_pending_actor_id",
            "actor_id",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_posts_reblogs_actor_id",
            "reblog_of_id",
            "actor_id",
            sqlite_where=text("reblog_of_id IS NOT NULL"),
            postgresql_where=text("reblog_of_id IS NOT NULL"),
        ),
        # Replies still waiting for their parent: few rows, looked for every second.
        Index(
            "ix_posts_orphans",
            "id",
            sqlite_where=text("in_reply_to_uri IS NOT NULL"),
            postgresql_where=text("in_reply_to_uri IS NOT NULL"),
        ),
    )

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
    #: Counts the post's edits: an edit names the version it started from and is refused
    #: when another landed first, so no edit is lost or recorded twice in the history.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    deleted_at: datetime | None = Field(default=None)
    sensitive: bool = Field(default=False)
    language: str | None = Field(default=None, max_length=16)
    #: What the author is looking for ("asking for advice"), from the community's list.
    intent: str | None = Field(default=None, max_length=100)
    #: How a reply is meant ("genuine question", "joking").
    tone_indicator: str | None = Field(default=None, max_length=50)
    #: A boost: this row stands for "actor shared that post"; it has no text of its own.
    reblog_of_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True),
    )
    # Remote posts: their ActivityPub id and HTML permalink. Local posts have neither
    # stored; their URLs follow from the instance's domain.
    uri: str | None = Field(default=None, max_length=2048, unique=True)
    url: str | None = Field(default=None, max_length=2048)
    #: The parent's id while the parent is not known here yet (it is being fetched).
    in_reply_to_uri: str | None = Field(default=None, max_length=2048, index=True)

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to_id is not None or self.in_reply_to_uri is not None

    @property
    def is_local(self) -> bool:
        return self.uri is None


class Mention(SQLModel, table=True):
    __tablename__ = "mentions"

    post_id: int = Field(sa_column=_post_fk(primary_key=True))
    actor_id: int = Field(foreign_key="actors.id", primary_key=True, index=True)


class PostTag(SQLModel, table=True):
    __tablename__ = "post_tags"

    post_id: int = Field(sa_column=_post_fk(primary_key=True))
    tag: str = Field(max_length=100, primary_key=True, index=True)


class PostEdit(SQLModel, table=True):
    """An earlier version of an edited post, kept for its edit history."""

    __tablename__ = "post_edits"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(sa_column=_post_fk(nullable=False, index=True))
    text: str = Field(max_length=100_000)
    content_html: str = Field(max_length=200_000)
    spoiler_text: str = Field(default="", max_length=500)
    #: When this version was first shown (the post's publish or previous edit time).
    created_at: datetime


class Attachment(SQLModel, table=True):
    """A media file attached to a post; remote ones are linked, not copied.

    A member's upload is a row before it is attached: `post_id` is empty until a post
    takes it, and `actor_id` says whose it is. A withdrawn post's uploads go with its
    draft (`draft_id`). Files that neither a post nor a draft holds are removed after a
    grace period (server/services/media_files.py).
    """

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int | None = Field(default=None, sa_column=_post_fk(nullable=True, index=True))
    position: int = Field(default=0)
    media_type: str = Field(default="", max_length=100)
    #: Remote media: where the file is. Local uploads: empty (the file is in `file_name`).
    url: str = Field(default="", max_length=2048)
    description: str = Field(default="", max_length=1500)
    blurhash: str | None = Field(default=None, max_length=100)
    width: int | None = Field(default=None)
    height: int | None = Field(default=None)
    #: The uploader, for local media.
    actor_id: int | None = Field(default=None, foreign_key="actors.id", index=True)
    #: Stored files under the media directory (local uploads only).
    file_name: str | None = Field(default=None, max_length=255)
    preview_name: str | None = Field(default=None, max_length=255)
    size: int | None = Field(default=None)
    preview_width: int | None = Field(default=None)
    preview_height: int | None = Field(default=None)
    #: The focal point, -1.0..1.0 on each axis (Mastodon's convention).
    focus_x: float = Field(default=0.0)
    focus_y: float = Field(default=0.0)
    created_at: datetime = Field(default_factory=utcnow)
    draft_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("drafts.id", ondelete="SET NULL"), index=True),
    )
    #: When a post or draft last let go of it (deleted, edited out, discarded): the grace
    #: period before its files are removed counts from then (from `created_at` if never).
    released_at: datetime | None = Field(default=None)


class IdempotencyKey(SQLModel, table=True):
    """An app's Idempotency-Key for a post it created: a retry gets the same post back."""

    __tablename__ = "idempotency_keys"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    key: str = Field(max_length=128, primary_key=True)
    post_id: int = Field(sa_column=_post_fk(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Poll(SQLModel, table=True):
    """A poll on a remote post, shown read-only with its last known tallies."""

    __tablename__ = "polls"

    post_id: int = Field(sa_column=_post_fk(primary_key=True))
    multiple: bool = Field(default=False)
    #: [{"title": str, "votes": int}, ...] in the order the author gave.
    options: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    voters_count: int | None = Field(default=None)
    closes_at: datetime | None = Field(default=None)


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


class ThreadSetting(SQLModel, table=True):
    """Slow mode set by hand on a thread (by its author or a moderator); threads slow
    down by themselves when they run hot, without a row here."""

    __tablename__ = "thread_settings"

    root_id: int = Field(sa_column=_post_fk(primary_key=True))
    slow_mode: bool = Field(default=False)
    set_by_id: int | None = Field(default=None, foreign_key="actors.id")
    set_at: datetime = Field(default_factory=utcnow)
