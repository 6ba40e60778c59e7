"""Thread sums: a thread's conversation signals, worked out from its reply facts.

Pure arithmetic over `Fact`s, with no database: server/services/signal_upkeep.py keeps the
sums current as replies arrive, server/services/signal_rebuild.py derives them all again.
What is summed here does not depend on who is reading; the ranking adds the reader's own
relations (server/services/ranked_timeline.py).

Which replies count (thresholds are norms, see `Thresholds`):
- at least 20 characters once mentions, links and emoji are taken out;
- from an account this server has known for 24 hours, or one a member follows;
- public or unlisted (followers-only replies count only for readers who follow their
  author, and so can read them; direct replies never count);
- at most 3 full-weight repliers from any one other server; the rest count a quarter.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.services.content import MENTION
from server.services.norm_settings import (
    NormValues,
    build,
    hours,
    norm_field,
    norms_of,
    seconds,
    share,
)

OPEN = ("public", "unlisted")
LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
SHORTCODE = re.compile(r":[A-Za-z0-9_]{2,}:")


@dataclass(frozen=True)
class Thresholds:
    """Which replies count, and when a thread is a pile-on or dominated (norms)."""

    min_chars: int = norm_field("ranking.min_reply_chars")
    trust: timedelta = norm_field("ranking.trust_hours", hours)
    full_repliers_per_server: int = norm_field("ranking.full_repliers_per_server")
    extra_replier_weight: float = norm_field("ranking.extra_replier_weight")
    fast_turn: timedelta = norm_field("ranking.fast_turn_seconds", seconds)
    pileon_repliers: int = norm_field("ranking.pileon_repliers")
    pileon_share: float = norm_field("ranking.pileon_stranger_percent", share)
    pileon_within: timedelta = norm_field("ranking.pileon_hours", hours)
    dominance_replies: int = norm_field("ranking.dominance_replies")
    dominance_share: float = norm_field("ranking.dominance_percent", share)


#: The norms that are this module's thresholds: changing one sums recent threads again.
SIGNAL_NORMS = norms_of(Thresholds)


def thresholds_from(found: NormValues) -> Thresholds:
    """Which replies count, from the norms in force."""
    return build(Thresholds, found)


def substance_length(text: str) -> int:
    """Characters a reply has once mentions, links, custom emoji and emoji are out."""
    text = LINK.sub(" ", MENTION.sub(" ", SHORTCODE.sub(" ", text)))
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("So", "Sk", "Cf", "Mn", "Cs", "Co")
    )
    return len(" ".join(kept.split()))


@dataclass(frozen=True)
class Fact:
    """The part of a `ReplyFact` the sums read."""

    actor_id: int
    parent_actor_id: int | None
    domain: str | None
    at: datetime
    length: int
    visibility: str
    known_since: datetime
    followed_here: bool
    tied: bool


@dataclass
class Sums:
    """A thread's signals, as stored on `ThreadSignals`."""

    replies: int = 0
    voices: float = 0.0
    people: dict[str, float] = field(default_factory=dict)
    quiet_people: list[int] = field(default_factory=list)
    author_answered: int = 0
    median_length: int = 0
    pairs: list[list[Any]] = field(default_factory=list)
    pileon: bool = False
    dominated: bool = False
    last_activity: datetime | None = None


def summarise(facts: Iterable[Fact], author_id: int, started_at: datetime, t: Thresholds) -> Sums:
    """Sum a thread's replies (the tests and `signal_rebuild` call it directly)."""
    ordered = sorted(facts, key=lambda f: f.at)
    sums = Sums(replies=len(ordered))
    if not ordered:
        return sums
    sums.last_activity = ordered[-1].at

    def eligible(f: Fact) -> bool:
        trusted = f.followed_here or f.known_since <= f.at - t.trust
        return f.length >= t.min_chars and trusted

    counted = [f for f in ordered if eligible(f) and f.visibility in OPEN]
    quiet = {f.actor_id for f in ordered if eligible(f) and f.visibility == "followers"}

    # Distinct voices, first come first weighed: a server's first few repliers count whole.
    per_server: Counter[str] = Counter()
    first: dict[int, Fact] = {}
    for f in counted:
        if f.actor_id == author_id or f.actor_id in first:
            continue
        first[f.actor_id] = f
        weight = 1.0
        if f.domain is not None:
            per_server[f.domain] += 1
            if per_server[f.domain] > t.full_repliers_per_server:
                weight = t.extra_replier_weight
        sums.people[str(f.actor_id)] = weight
    sums.voices = round(sum(sums.people.values()), 3)
    sums.quiet_people = sorted(quiet - set(first) - {author_id})

    answered = {
        f.parent_actor_id
        for f in counted
        if f.actor_id == author_id and f.parent_actor_id not in (None, author_id)
    }
    sums.author_answered = len(answered)
    if counted:
        sums.median_length = int(statistics.median_low(f.length for f in counted))
    sums.pairs = _pairs(counted, t)

    repliers = len(first)
    if repliers >= t.pileon_repliers:
        strangers = sum(1 for f in first.values() if not f.tied)
        fast = sum(1 for f in first.values() if f.at - started_at <= t.pileon_within)
        sums.pileon = strangers >= t.pileon_share * repliers and fast * 2 > repliers
    if sums.pileon:
        # In a pile-on the strangers are the crowd, not voices: they count as extras do,
        # so a bigger crowd cannot outgrow the penalty.
        for actor_id, f in first.items():
            if not f.tied:
                key = str(actor_id)
                sums.people[key] = min(sums.people[key], t.extra_replier_weight)
        sums.voices = round(sum(sums.people.values()), 3)
    if len(counted) >= t.dominance_replies:
        top = Counter(f.actor_id for f in counted).most_common(2)
        share = sum(n for _, n in top) / len(counted)
        # A long exchange with the person who posted is the conversation we want; two
        # others talking over their thread is what the penalty is for.
        sums.dominated = share > t.dominance_share and all(a != author_id for a, _ in top)
    return sums


def _pairs(counted: Sequence[Fact], t: Thresholds) -> list[list[int]]:
    """[a, b, turns, fast turns] for each pair who answered each other: a turn is a
    reply to the other after the other's reply; a fast one came within `fast_turn` of
    the previous message between them. How much fast turns count is a weight, applied
    when a reader's score is worked out."""
    turns: dict[tuple[int, int], list[int]] = {}
    last: dict[tuple[int, int], tuple[int, datetime]] = {}
    directions: dict[tuple[int, int], set[int]] = {}
    for f in counted:
        if f.parent_actor_id is None or f.parent_actor_id == f.actor_id:
            continue
        a, b = sorted((f.actor_id, f.parent_actor_id))
        key = (a, b)
        directions.setdefault(key, set()).add(f.actor_id)
        previous = last.get(key)
        if previous is None or previous[0] != f.actor_id:
            counts = turns.setdefault(key, [0, 0])
            counts[0] += 1
            if previous is not None and f.at - previous[1] < t.fast_turn:
                counts[1] += 1
        last[key] = (f.actor_id, f.at)
    return [[a, b, n, fast] for (a, b), (n, fast) in turns.items() if len(directions[(a, b)]) == 2]
