"""Grants kept in memory, so an app's requests need not read their token, app, member and
actor again each time, nor a browser's its session, member and actor; all dropped the
moment access or those rows change.

Every request still gets its own objects, attached to its own session, made from the
kept column values: nothing one request changes reaches another. What is kept is dropped
whole, at once and in every process that hears it, by any `access_changed` event (a
token revoked, a member suspended or given a new password) and by a `stale` event with
topic "grants", which any session announces by itself when it changes a member, a local
actor, a token or an app, or ends a web session (the hooks at the end: no service has
to remember to). A change made where no bus reaches (a `porch` command: commands
announce to no bus) shows within `KEPT_FOR`; while Redis is away nothing is kept at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, OAuthApp, OAuthToken, WebSession
from server.services.events import Event, EventKind, announce
from server.services.kept_rows import revive

#: How long a kept grant is trusted without a word from the bus: the bound for changes
#: made by a process that announces to no one (a `porch user suspend` command).
KEPT_FOR = timedelta(seconds=5)
#: Grants kept per process (each a few hundred bytes of column values).
ENTRIES = 10_000
#: The topic of the `stale` event a change to what grants hold announces.
TOPIC = "grants"
#: An execution option marking a statement that changes no live grant (removing expired
#: sessions at login), so it does not drop every kept grant.
KEEPS_GRANTS = "porch_keeps_grants"


class Hearing(Protocol):
    """What the cache needs from the bus (server/bus.py)."""

    def watch(self, watcher: Any) -> None: ...

    @property
    def hearing(self) -> tuple[bool, int]: ...


#: A grant's rows (token, app, member, actor; or member, actor, web session), any absent.
Rows = tuple[SQLModel | None, ...]


#: Kept rows: each row's model and column values; (None, {}) for an absent row.
KeptRows = tuple[tuple[type[SQLModel] | None, dict[str, Any]], ...]


@dataclass(frozen=True)
class Kept:
    """Rows as their models and column values, and when they were read."""

    rows: KeptRows
    read_at: datetime


class GrantCache:
    """Kept grants (an app's token, a browser's session), bounded, newest use last; see
    the module's docstring for when they go."""

    def __init__(self, bus: Hearing, entries: int = ENTRIES) -> None:
        self._bus = bus
        self._entries = entries
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._spell = bus.hearing[1]
        #: Moves on every drop: a read begun before a drop must not be kept after it.
        self.generation = 0
        bus.watch(self._heard)

    def __len__(self) -> int:
        return len(self._kept)

    def _heard(self, item: Event) -> None:
        if item.kind is EventKind.access_changed or (
            item.kind is EventKind.stale and item.topic in (TOPIC, "actor")
        ):
            self.drop_all()

    def drop_all(self) -> None:
        """Forget every kept grant."""
        self._kept.clear()
        self.generation += 1

    def _trusted(self) -> bool:
        hearing, spell = self._bus.hearing
        if spell != self._spell:  # events may have been missed since these were kept
            self._spell = spell
            self.drop_all()
        return hearing

    def values(self, key: str, now: datetime) -> KeptRows | None:
        """The models and column values kept under `key` (an absent row as (None, {}));
        None when nothing fresh is kept (or the bus cannot be trusted now). Nothing is
        made: a request revives (`kept_rows.revive`) only the rows it uses."""
        if not self._trusted():
            return None
        found = self._kept.get(key)
        if found is None:
            return None
        if not found.read_at <= now < found.read_at + KEPT_FOR:
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return found.rows

    def get(self, session: AsyncSession, key: str, now: datetime) -> Rows | None:
        """The rows kept under `key`, as new objects in `session`; None when nothing
        fresh is kept (or the bus cannot be trusted now)."""
        found = self.values(key, now)
        if found is None:
            return None
        return tuple(
            revive(session, model, values) if model is not None else None for model, values in found
        )

    def put(self, key: str, generation: int, rows: Rows, now: datetime) -> None:
        """Keep rows read since `generation` (nothing is kept if anything was dropped
        meanwhile: the read may predate the change that dropped it)."""
        if generation != self.generation or not self._trusted():
            return
        self._kept[key] = Kept(
            tuple((type(r), _values(r)) if r is not None else (None, {}) for r in rows), now
        )
        self._kept.move_to_end(key)
        while len(self._kept) > self._entries:
            self._kept.popitem(last=False)


def _values(row: SQLModel) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in inspect(type(row)).column_attrs}


# --- Every change to what a grant holds announces itself -------------------------------

WATCHED = (Member, Actor, OAuthToken, OAuthApp, WebSession)
#: Written as things are used; no request's grant depends on them.
UNWATCHED_COLUMNS = frozenset({"last_used_at", "last_login_at", "last_seen_at"})


def _changes_grants(rows: Iterable[object], session: Session) -> bool:
    for row in rows:
        if not isinstance(row, WATCHED):
            continue
        if isinstance(row, Actor) and row.domain is not None:
            continue  # nobody's grant holds an actor from elsewhere
        state = inspect(row)
        if state.deleted or row in session.deleted:
            return True
        for attr in state.attrs:
            if attr.key not in UNWATCHED_COLUMNS and attr.history.has_changes():
                return True
    return False


def _before_flush(session: Session, context: Any, instances: Any) -> None:
    if _changes_grants([*session.dirty, *session.deleted], session):
        announce(session, Event(EventKind.stale, 0, topic=TOPIC))


def _do_orm_execute(state: Any) -> None:
    # UPDATEs and DELETEs written as statements (state changes, revocations).
    if not (state.is_update or state.is_delete) or state.execution_options.get(KEEPS_GRANTS):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ not in WATCHED:
        return
    # A web session's only UPDATE notes when it was last used (sessions.seen).
    if state.is_delete or mapper.class_ is not WebSession:
        announce(state.session, Event(EventKind.stale, 0, topic=TOPIC))


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "do_orm_execute", _do_orm_execute)
