"""What Porch knows of a remote post as it arrives, read in one statement.

Before a note from elsewhere is stored, four things decide what happens to it: whether
its author deleted it already (a tombstone), whether anyone here follows its author
(whether it concerns this server), whether it is stored already (a redelivery, or the
same note passed on), and which threads hold replies that arrived before it and wait
for it. Each was a statement of its own; here they are one, built once at import
(building a statement costs more than running it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    BindParameter,
    Executable,
    Integer,
    bindparam,
    case,
    exists,
    literal,
    union_all,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Post, Tombstone
from server.services import statements


@dataclass(frozen=True)
class Arrival:
    """What the database says of a note about to be stored."""

    #: Its author deleted it: a late or replayed Create is ignored.
    tombstoned: bool
    #: Someone here follows its author.
    followed_here: bool
    #: The id of the post already stored for it, if any.
    stored_id: int | None
    #: Threads led by replies that arrived before it (they join its thread).
    waiting_roots: set[int] = field(default_factory=set)


def _build() -> Executable:
    uri: BindParameter[str] = bindparam("uri")
    author_id: BindParameter[int] = bindparam("author_id")
    tombstoned = exists(select(Tombstone.uri).where(col(Tombstone.uri) == uri))
    followed = exists(
        select(Follow.id)
        .join(Actor, col(Actor.id) == Follow.follower_id)
        .where(
            col(Follow.followed_id) == author_id,
            col(Follow.state) == FollowState.accepted,
            col(Actor.domain).is_(None),
        )
    )
    stored = select(Post.id).where(col(Post.uri) == uri).scalar_subquery()
    one = literal(1, Integer)
    zero = literal(0, Integer)
    # The first row holds the facts; each further row one waiting thread's root.
    facts = select(
        zero, stored, case((tombstoned, one), else_=zero), case((followed, one), else_=zero)
    )
    waiting = (
        select(one, col(Post.root_id), zero, zero)
        .where(col(Post.in_reply_to_uri) == uri)
        .distinct()
    )
    return union_all(facts, waiting)


ARRIVAL = _build()


async def arrival(session: AsyncSession, author_id: int, uri: str) -> Arrival:
    """What Porch knows of the note `uri` by `author_id`, in one statement."""
    rows = await statements.execute(session, ARRIVAL, {"uri": uri, "author_id": author_id})
    stored_id: int | None = None
    tombstoned = followed = False
    waiting: set[int] = set()
    for kind, value, tomb, follow in rows.all():
        if kind == 0:
            stored_id, tombstoned, followed = value, bool(tomb), bool(follow)
        else:
            waiting.add(int(value))
    return Arrival(tombstoned, followed, stored_id, waiting)
