"""State tables: each lifecycle's states, where a row may start, and every allowed move.

A table is data, declared next to its enum; `server.services.states` is the one place
that changes a row's state, and it refuses any move its table does not declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(Exception):
    """A state change its table does not declare: a bug in the caller, not bad input."""


@dataclass(frozen=True)
class StateTable(Generic[S]):
    """The lifecycle of the rows of one table (`table`, its `__tablename__`).

    `moves` maps (from, to) to why that move happens; a move to the same state is a
    change that may only land while the row is in that state (an edit during the pause).
    `exits` maps the states a row may be deleted from to why (a withdrawn post becomes
    a draft). `initial` holds the states a new row may be created in.
    """

    table: str
    states: type[S]
    initial: frozenset[S]
    moves: Mapping[tuple[S, S], str]
    exits: Mapping[S, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        named = set(self.states)
        for before, after in self.moves:
            assert before in named and after in named, (self.table, before, after)
        assert self.initial <= named and set(self.exits) <= named, self.table
        assert self.table not in TABLES, f"two state tables for {self.table}"
        TABLES[self.table] = self

    def check(self, before: S | str, after: S | str) -> tuple[S, S]:
        """The declared move from `before` to `after`; InvalidTransition if undeclared."""
        try:
            edge = (self.states(before), self.states(after))
        except ValueError:
            raise InvalidTransition(f"{self.table}: no state {before!r} or {after!r}") from None
        if edge not in self.moves:
            raise InvalidTransition(f"{self.table}: cannot go from {edge[0]} to {edge[1]}")
        return edge

    def check_exit(self, before: S | str) -> S:
        """`before`, if a row may be deleted in that state; InvalidTransition if not."""
        state = self.states(before)
        if state not in self.exits:
            raise InvalidTransition(f"{self.table}: a row cannot be deleted while {state}")
        return state

    def start(self, state: S | str) -> S:
        """`state`, if a new row may begin in it; InvalidTransition if not."""
        found = self.states(state)
        if found not in self.initial:
            raise InvalidTransition(f"{self.table}: a row cannot begin {found}")
        return found


#: Every state table, by the name of the database table whose `state` column it governs.
TABLES: dict[str, StateTable[Any]] = {}
