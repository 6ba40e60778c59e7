"""The norms in force, kept in memory per process until they change.

Every request needs the norms (posting rules, pauses, sign-ups), and they change a few
times a year: reading them from the database on every request was a statement each.
`norms.change` announces `stale`/"instance" when it commits; the next request in this
process reads them afresh, and other processes hear it through RedisBus. A change made
without a bus (`porch norms set` beside an embedded server) shows within
`BACKSTOP_SECONDS`, as the document cache's NodeInfo does.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.bus import Watch
from server.services import norms
from server.services.events import Event, EventKind

#: How long norms are kept without an event.
BACKSTOP_SECONDS = 60.0


def _changes_norms(event: Event) -> bool:
    return event.kind is EventKind.stale and event.topic == "instance"


class KeptNorms:
    """One process's copy of the norms in force (app.state.norms)."""

    def __init__(self) -> None:
        self._watch = Watch(_changes_norms)
        self._kept: norms.Norms | None = None
        self._until = 0.0

    async def current(self, state: Any, session: AsyncSession) -> norms.Norms:
        """The norms in force, read from `session` only when they may have changed."""
        bus = getattr(state, "bus", None)
        now = state.clock.now().timestamp()
        if self._watch.changed(bus) or now >= self._until:
            self._kept = None
        if self._kept is not None:
            return self._kept
        found = await norms.current(session, state.settings)
        if not self._watch.changed(bus):  # nothing changed them while they were read
            self._kept, self._until = found, now + BACKSTOP_SECONDS
        return found


async def in_force(state: Any, session: AsyncSession) -> norms.Norms:
    """The norms in force for the app whose `state` is given (`request.app.state`)."""
    kept: KeptNorms | None = getattr(state, "norms", None)
    if kept is None:
        kept = state.norms = KeptNorms()
    return await kept.current(state, session)
