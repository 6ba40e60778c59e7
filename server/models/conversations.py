"""Conversation signals: what each reply adds to its thread, and each thread's sums,
kept current as replies arrive so the Conversations timeline never recounts on read.

Also the ranked pages a member is reading, kept so paging neither repeats nor skips
posts while scores move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class ReplyFact(SQLModel, table=True):
    """One published reply as the ranking sees it: who answered whom, when, how much.

    Thresholds (minimum length, how long an account must be known) are applied when the
    thread's sums are computed, so changing them needs no new facts.
    """

    __tablename__ = "reply_facts"
    __table_args__ = (
        # Threads where the people a member follows are talking, lately.
        Index("ix_reply_facts_actor_id_at", "actor_id", "at"),
        # "Has the thread's author answered this person before?"
        Index("ix_reply_facts_actor_id_parent_actor_id", "actor_id", "parent_actor_id"),
    )

    post_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    )
    root_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    actor_id: int = Field(foreign_key="actors.id")
    #: Whom the reply answers (the parent's author), when the parent is known.
    parent_actor_id: int | None = Field(default=None)
    root_author_id: int | None = Field(default=None)
    #: The replier's server (None for members): brigades from one server are capped.
    domain: str | None = Field(default=None, max_length=255)
    at: datetime
    #: Characters left after mentions, links and emoji are taken out.
    length: int = Field(default=0)
    visibility: str = Field(sa_type=String(16))
    #: When this server first knew the replier.
    known_since: datetime
    #: Whether a member here followed the replier when the reply arrived.
    followed_here: bool = Field(default=False)
    #: Whether the replier followed or had answered the thread's author before.
    tied: bool = Field(default=False)


class ThreadSignals(SQLModel, table=True):
    """A thread's conversation, summed: the viewer-independent half of its score."""

    __tablename__ = "thread_signals"
    __table_args__ = (
        # Threads the people a member follows started lately: the candidates' main read.
        Index("ix_thread_signals_author_id_started_at", "author_id", "started_at"),
    )

    root_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    #: The post shown for the thread: its root, or its first remaining reply once the
    #: root is gone.
    item_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    author_id: int
    started_at: datetime = Field(index=True)
    last_activity: datetime
    #: The author's top-level posts in the 7 days up to this one ("posts rarely").
    author_recent_posts: int = Field(default=1)
    replies: int = Field(default=0)
    #: Distinct eligible repliers, weighted (extras from one server count a quarter).
    voices: float = Field(default=0.0)
    #: Distinct people the author answered.
    author_answered: int = Field(default=0)
    median_length: int = Field(default=0)
    pileon: bool = Field(default=False)
    dominated: bool = Field(default=False)
    likes: int = Field(default=0)
    boosts: int = Field(default=0)
    #: {actor id: weight} of eligible repliers in public and unlisted replies.
    people: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    #: Eligible repliers whose replies are followers-only: they count only for viewers
    #: who follow them (and so can read them).
    quiet_people: list[int] = Field(default_factory=list, sa_type=JSON)
    #: [a, b, turns] for each pair who answered each other; fast turns count half.
    pairs: list[list[Any]] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class RankedSnapshot(SQLModel, table=True):
    """The order a member's Conversations timeline had when they opened it: later pages
    read from here, so nothing repeats or goes missing while scores move."""

    __tablename__ = "ranked_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    viewer_id: int = Field(foreign_key="actors.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    #: [[post id, score, {term: points}, [followed people talking], {what was counted}]]
    items: list[list[Any]] = Field(default_factory=list, sa_type=JSON)
