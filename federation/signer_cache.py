"""Who signs: a key id's remote actor and public key, kept in memory per process.

Every signed request to the inbox (and every signed GET) needs the signer's actor row
and key: reading them was a statement per request, for rows that change a few times in
an actor's life. Here they are kept, by key id, in an LRU of `SIZE` entries, as a copy of
the actor's columns that each request puts into its own session without a statement
(`merge(load=False)`): requests never share an ORM object.

Only keys that verified a signature are kept. An entry goes when:
- the actor's row or key changes (`remote_actors.store`: a refetch on key rotation, an
  Update(Person); `remote_actors.remove`: the account deleted), which announce
  `stale`/"remote_actor" for the actor (subject 0: every remote actor);
- the admins change a server's policy (`domains.set_policy` announces `stale`/"domain"):
  every entry goes, and the federation's domain-policy cache with it, so a block or a
  limit judges the very next request;
- a kept key fails to verify (the signer may have rotated it): it is fetched afresh.
Events are read before each use, so the next request after a commit in this process is
judged by the new state; other processes hear through RedisBus.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import inspect
from sqlmodel.ext.asyncio.session import AsyncSession

from server.bus import LocalBus, Watch
from server.models import Actor
from server.services.events import Event, EventKind
from server.services.kept_rows import revive

#: Signers kept (a few hundred bytes each).
SIZE = 10_000
_COLUMNS = tuple(attr.key for attr in inspect(Actor).column_attrs)


def _interesting(event: Event) -> bool:
    return event.kind is EventKind.stale and event.topic in ("remote_actor", "domain")


class SignerCache:
    """Key id → (the actor's columns, the public key PEM); see the module docstring."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[dict[str, Any], str]] = OrderedDict()
        self._keys_of: dict[int, set[str]] = {}
        self._watch = Watch(_interesting)
        #: Moves on at every drop: a signer read before a drop is not kept after it.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._entries

    def catch_up(self, bus: LocalBus | None, policies: MutableMapping[str, Any] | None) -> None:
        """Drop what the events committed since the last look make stale."""
        changes = self._watch.changes(bus)
        if changes is None or any(e.topic == "domain" or e.subject == 0 for e in changes):
            self.clear()
            if policies is not None:
                policies.clear()
            return
        for event in changes:
            self.drop_actor(event.subject)  # moves the generation on, even if none is kept

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._keys_of.clear()

    def drop_actor(self, actor_id: int) -> None:
        self.generation += 1
        for key_id in self._keys_of.pop(actor_id, ()):
            self._entries.pop(key_id, None)

    def drop(self, key_id: str) -> None:
        """Forget one key (it failed to verify, or the LRU is full)."""
        found = self._entries.pop(key_id, None)
        if found is not None:
            self._keys_of.get(found[0]["id"], set()).discard(key_id)

    async def found(self, session: AsyncSession, key_id: str) -> tuple[Actor, str] | None:
        """The kept signer of `key_id`, put into `session` (no statement), or None."""
        kept = self._entries.get(key_id)
        if kept is None:
            return None
        self._entries.move_to_end(key_id)
        values, pem = kept
        return revive(session, Actor, values), pem

    def keep(
        self,
        key_id: str,
        bus: LocalBus | None,
        policies: MutableMapping[str, Any] | None,
        signer: tuple[Actor, str],
        generation: int,
    ) -> None:
        """Keep a remote signer whose key just verified, unless an event about signers
        came since `generation` was read (before the signer was): one committed while it
        was read, or by fetching it (that one is read afresh, and kept, next time)."""
        self.catch_up(bus, policies)
        actor, pem = signer
        if generation != self.generation or actor.id is None or actor.domain is None:
            return
        if actor.suspended_at is not None or inspect(actor).expired_attributes:
            return
        self._entries[key_id] = ({name: getattr(actor, name) for name in _COLUMNS}, pem)
        self._keys_of.setdefault(actor.id, set()).add(key_id)
        while len(self._entries) > self.size:
            self.drop(next(iter(self._entries)))
