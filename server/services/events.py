"""Changes other parts of Porch want to hear about, announced when they are committed.

A service that changes something a reader may be waiting for (a post went out, a post was
deleted or edited, a notification was made, someone's access ended, a cached document
went stale) calls `announce` on the session it works in. Nothing leaves until that
session commits: the bus the session was made with (server/bus.py) then hands the events
to every listener in this process and, with Redis, in every other process. A rollback
drops them. Events carry ids only: a listener reads what it needs, as the viewer it
serves, so an event can never show anyone more than a read would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

#: Where a session keeps its events until it commits, and the bus they then go to.
PENDING = "porch.events"
BUS = "porch.bus"


class EventKind(StrEnum):
    #: A post became visible to the people it is for (subject: post id).
    post_published = "post.published"
    #: A post was edited (subject: post id).
    post_edited = "post.edited"
    #: A post was deleted or withdrawn from sight (subject: post id).
    post_deleted = "post.deleted"
    #: A notification was made (subject: notification id; audience: its owner).
    notification = "notification"
    #: Someone may no longer read what they could (subject: actor id): a token was
    #: revoked, a member suspended, a session ended. Streams look again at once.
    access_changed = "access.changed"
    #: What someone may see changed (subject: actor id; audience: who is affected):
    #: a follow, block or mute was made or undone, an exclusive list changed.
    relation_changed = "relation.changed"
    #: Cached bytes named by `topic` and `subject` are stale (a profile, a post's
    #: document, the instance's description; "remote_actor" and "domain": what is kept
    #: of a remote signer, subject 0 for all).
    stale = "stale"
    #: Background work became due sooner than the sweeps expected (topic: which sweep).
    work_due = "work.due"


@dataclass(frozen=True)
class Event:
    """One committed change, named by ids."""

    kind: EventKind
    subject: int
    #: The actor ids the change concerns directly, when it concerns only some.
    audience: tuple[int, ...] = ()
    #: What kind of thing `subject` names, for `stale` events ("actor", "post", "instance").
    topic: str = ""

    def encode(self) -> str:
        """The event as one line of JSON (what goes through Redis)."""
        return json.dumps([self.kind.value, self.subject, list(self.audience), self.topic])

    @classmethod
    def decode(cls, raw: str | bytes) -> Event:
        """The event `encode` wrote; ValueError for anything else."""
        try:
            kind, subject, audience, topic = json.loads(raw)
            return cls(EventKind(kind), int(subject), tuple(int(a) for a in audience), str(topic))
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"not a Porch event: {raw!r:.200}") from exc


def relation_changed(actor_id: int, *others: int) -> Event:
    """`actor_id` followed, blocked, muted or listed someone (`others`), or undid it: what
    both may see changed."""
    return Event(EventKind.relation_changed, actor_id, audience=(actor_id, *others))


def announce(session: AsyncSession | Session, *events: Event) -> None:
    """Announce `events` when `session` commits (nothing happens if it rolls back)."""
    info = session.info
    info.setdefault(PENDING, []).extend(events)


#: What a bus offers the session hooks: a call taking the events of one commit.
Emit = Callable[[Sequence[Event]], Any]


def _after_commit(session: Session) -> None:
    pending: list[Event] | None = session.info.pop(PENDING, None)
    emit: Emit | None = session.info.get(BUS)
    if pending and emit is not None:
        emit(pending)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


# Registered once for every session; a session made without a bus (a CLI command that
# nobody listens to, a test's own session) simply drops its events at commit.
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
