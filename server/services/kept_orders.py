"""Which members' Conversations orders may be opened again without ranking anew.

Ranking a member's Conversations (their relations, the candidate threads, the score, the
arrangement) is the costly part of opening it. Scores move slowly: a thread's standing
changes over minutes and hours (server/services/ranking.py), so an order ranked a few
seconds ago is as good as a new one, as long as nothing changed who the member may see
or what they asked not to see. This keeps, per process, the snapshot each member was
last given here, and forgets it the moment the bus tells of such a change:

- `relation_changed` (a follow made, accepted or ended, a block, a mute, a list made
  exclusive or its people changed) for anyone in its audience, or everyone when it
  names no audience;
- anything at all while the bus is not heard, or after it was not (events may have been
  missed): nothing is kept or reused then.

The member's own new post is checked in the database when the snapshot is read
(server/services/ranked_timeline.py), so it holds across processes without an event.
Whatever is reused is still read through `views_of` and the reader's blocks and mutes at
page time: a deletion, an edit, a block or a mute shows on the next read even if an
event were lost.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Protocol

from server.services.events import Event, EventKind

#: How long a ranked order is given again to fresh opens. Ranking terms move over
#: minutes (a thread's age, its replies); new posts the member cannot miss (their own,
#: pending or published) come fresh regardless. 30 seconds turns a member's repeated
#: opens (tabs, reloads, apps polling) into one ranking, and is below the time anyone
#: would notice an order that did not move.
REUSE_FOR = timedelta(seconds=30)
#: Members whose order is kept per process (two integers each).
ENTRIES = 20_000
#: Members whose order's first entries are kept too (a few kilobytes of JSON each), and
#: how many: a fresh open reads its page from them instead of decoding the whole order.
HEADS = 2_000
HEAD = 40


class Hearing(Protocol):
    """What the kept orders need from the bus (server/bus.py)."""

    def watch(self, watcher: Any) -> None: ...

    @property
    def hearing(self) -> tuple[bool, int]: ...


class KeptOrders:
    """Each member's last snapshot made in this process, while nothing has changed it."""

    def __init__(self, bus: Hearing, entries: int = ENTRIES) -> None:
        self._bus = bus
        self._entries = entries
        #: Member's actor id -> the snapshot id they were last given.
        self._kept: OrderedDict[int, int] = OrderedDict()
        #: Member's actor id -> the change count when a change last touched them; members
        #: forgotten here were last touched no later than `_floor`.
        self._touched: OrderedDict[int, int] = OrderedDict()
        #: Member's actor id -> (their kept snapshot id, its first entries as JSON, how
        #: many entries it has). Snapshots never change once written.
        self._heads: OrderedDict[int, tuple[int, str, int]] = OrderedDict()
        self._floor = 0
        self._changes = 0
        self._spell = bus.hearing[1]
        bus.watch(self._heard)

    def __len__(self) -> int:
        return len(self._kept)

    def _heard(self, item: Event) -> None:
        if item.kind is not EventKind.relation_changed:
            return
        self._changes += 1
        if not item.audience:
            self.drop_all()
            return
        for actor_id in item.audience:
            self._kept.pop(actor_id, None)
            self._heads.pop(actor_id, None)
            self._touched[actor_id] = self._changes
            self._touched.move_to_end(actor_id)
        while len(self._touched) > self._entries:
            _, at = self._touched.popitem(last=False)
            self._floor = max(self._floor, at)

    def drop_all(self) -> None:
        """Forget every kept order, and count everyone as changed now."""
        self._changes += 1
        self._kept.clear()
        self._heads.clear()
        self._touched.clear()
        self._floor = self._changes

    def _trusted(self) -> bool:
        hearing, spell = self._bus.hearing
        if spell != self._spell:  # events may have been missed since these were kept
            self._spell = spell
            self.drop_all()
        return hearing

    def mark(self) -> int:
        """Where the changes stand now; give it back to `keep` after ranking."""
        return self._changes

    def kept(self, viewer_id: int) -> int | None:
        """The snapshot id `viewer_id` may be given again, if any (its age and the
        member's own new posts are for the caller to check)."""
        if not self._trusted():
            return None
        found = self._kept.get(viewer_id)
        if found is not None:
            self._kept.move_to_end(viewer_id)
        return found

    def keep(self, viewer_id: int, snapshot_id: int, mark: int) -> None:
        """Keep the snapshot ranked since `mark` (not if a change touched the member
        meanwhile: the ranking may have read what came before it)."""
        if not self._trusted() or self._touched.get(viewer_id, self._floor) > mark:
            return
        self._kept[viewer_id] = snapshot_id
        self._kept.move_to_end(viewer_id)
        while len(self._kept) > self._entries:
            self._kept.popitem(last=False)

    def forget(self, viewer_id: int) -> None:
        """Give `viewer_id` a new order on their next open."""
        self._kept.pop(viewer_id, None)
        self._heads.pop(viewer_id, None)

    def keep_head(self, viewer_id: int, snapshot_id: int, items: list[Any]) -> None:
        """Keep the first entries of the snapshot kept for `viewer_id` (not of another)."""
        if self._kept.get(viewer_id) != snapshot_id:
            return
        self._heads[viewer_id] = (snapshot_id, json.dumps(items[:HEAD]), len(items))
        self._heads.move_to_end(viewer_id)
        while len(self._heads) > HEADS:
            self._heads.popitem(last=False)

    def head(self, viewer_id: int, snapshot_id: int, wanted: int) -> tuple[list[Any], int] | None:
        """The first `wanted` entries of the kept snapshot and how many it has, if they
        are kept."""
        found = self._heads.get(viewer_id)
        if found is None or found[0] != snapshot_id or wanted > HEAD:
            return None
        self._heads.move_to_end(viewer_id)
        return json.loads(found[1])[:wanted], found[2]
