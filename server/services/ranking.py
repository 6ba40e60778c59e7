"""The ranking: Conversation Score v0 for one thread and one reader, and page diversity.

Pure arithmetic (docs/ranking.md): a thread's sums (server/services/thread_sums.py),
weighed with the reader's own relations to the people in it, times recency decay, a
boost for people who rarely post, penalties for pile-ons and dominated threads, and
author diversity within a page. Every weight is a norm. Which threads are candidates,
and the pages a reader reads, are server/services/ranked_timeline.py.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.services.norm_settings import NormValues, build, hours, norm_field
from server.services.timelines import PAGE


@dataclass(frozen=True)
class Weights:
    """The ranking's weights and windows (norms, published on /about/ranking)."""

    window: timedelta = norm_field("ranking.window_hours", hours)
    half_life_hours: float = norm_field("ranking.half_life_hours")
    base_mutual: float = norm_field("ranking.base_mutual")
    base_followed: float = norm_field("ranking.base_followed")
    base_other: float = norm_field("ranking.base_other")
    voices: float = norm_field("ranking.voices_weight")
    exchange: float = norm_field("ranking.exchange_weight")
    exchange_cap: float = norm_field("ranking.exchange_cap")
    pair_turn_cap: int = norm_field("ranking.pair_turn_cap")
    fast_turn_value: float = norm_field("ranking.fast_turn_value")
    author_joined: float = norm_field("ranking.author_joined")
    author_extra_cap: int = norm_field("ranking.author_extra_cap")
    known: float = norm_field("ranking.known_weight")
    known_cap: int = norm_field("ranking.known_cap")
    substance: float = norm_field("ranking.substance_weight")
    substance_chars: int = norm_field("ranking.substance_chars")
    likes: float = norm_field("ranking.likes_weight")
    boosts: float = norm_field("ranking.boosts_weight")
    quiet_boost: float = norm_field("ranking.quiet_boost")
    quiet_posts: int = norm_field("ranking.quiet_posts")
    pileon_penalty: float = norm_field("ranking.pileon_penalty")
    dominance_penalty: float = norm_field("ranking.dominance_penalty")
    diversity_decay: float = norm_field("ranking.diversity_decay")
    diversity_floor: float = norm_field("ranking.diversity_floor")


def weights(found: NormValues) -> Weights:
    """The ranking's weights, from the norms in force."""
    return build(Weights, found)


@dataclass(frozen=True)
class Relations:
    """Whom the reader follows, who follows them, and whom they keep out of sight."""

    viewer_id: int
    following: frozenset[int]
    followers: frozenset[int]
    hidden: frozenset[int]


@dataclass
class Scored:
    """One thread's score for one reader, with every term that made it."""

    item_id: int
    author_id: int
    score: float
    #: Additive terms in points; multipliers (decay, quiet, pileon, dominated,
    #: diversity) as factors.
    terms: dict[str, float]
    #: People the reader follows who are talking there (at most 3, for the wording).
    known_ids: list[int] = field(default_factory=list)
    #: What the wording counts: repliers, pairs talking, people the author answered.
    counts: dict[str, int] = field(default_factory=dict)


MULTIPLIERS = ("decay", "quiet", "pileon", "dominated", "diversity")
#: Replies whose authors' followers can read them.


@dataclass(frozen=True)
class Signals:
    """The part of `ThreadSignals` the score reads."""

    item_id: int
    author_id: int
    started_at: datetime
    author_recent_posts: int
    author_answered: int
    median_length: int
    pileon: bool
    dominated: bool
    likes: int
    boosts: int
    people: dict[str, float]
    quiet_people: list[int]
    pairs: list[list[Any]]


def score(s: Signals, rel: Relations, now: datetime, w: Weights) -> Scored:
    """Conversation Score v0 for one thread and one reader (see docs/ranking.md)."""
    author = s.author_id
    following, hidden = rel.following, rel.hidden
    terms: dict[str, float] = {}
    if author == rel.viewer_id:
        terms["base"] = w.base_followed
    elif author in following and author in rel.followers:
        terms["base"] = w.base_mutual
    elif author in following:
        terms["base"] = w.base_followed
    else:
        terms["base"] = w.base_other

    people = {int(k): v for k, v in s.people.items() if int(k) not in hidden}
    # Followers-only replies count for readers who follow their authors: they can read them.
    for actor_id in s.quiet_people:
        if actor_id in following and actor_id not in people:
            people[actor_id] = 1.0
    voices = sum(people.values())
    if voices:
        terms["voices"] = w.voices * math.log2(1 + voices)

    known_people = following | {rel.viewer_id}
    exchange, pairs = 0.0, 0
    for a, b, turns, fast in s.pairs:
        if a in hidden or b in hidden:
            continue
        pairs += 1
        weight = 1.0 if {a, b} & (known_people | {author}) else 0.5
        # Capped first, then discounted by the share of fast turns: a quick-fire quarrel
        # reaches the cap as easily as a slow exchange, but it does not count as much.
        slowness = 1 - (fast / turns) * (1 - w.fast_turn_value) if turns else 1.0
        exchange += weight * math.log2(1 + min(turns, w.pair_turn_cap) * slowness)
    if exchange:
        terms["exchange"] = w.exchange * min(w.exchange_cap, exchange)

    if s.author_answered > 0:
        terms["author"] = w.author_joined + min(s.author_answered - 1, w.author_extra_cap)

    known = sorted(set(people) & following - {author})
    if known:
        terms["known"] = w.known * min(len(known), w.known_cap)
    if s.median_length:
        terms["substance"] = w.substance * min(1.0, s.median_length / w.substance_chars)
    if s.likes > 0:
        terms["likes"] = w.likes * math.log2(1 + s.likes)
    if s.boosts > 0:
        terms["boosts"] = w.boosts * math.log2(1 + s.boosts)

    age_hours = max(0.0, (now - s.started_at).total_seconds() / 3600)
    terms["decay"] = 0.5 ** (age_hours / w.half_life_hours)
    if s.author_recent_posts <= w.quiet_posts:
        terms["quiet"] = w.quiet_boost
    if s.pileon:
        terms["pileon"] = w.pileon_penalty
    if s.dominated:
        terms["dominated"] = w.dominance_penalty

    total = sum(v for k, v in terms.items() if k not in MULTIPLIERS)
    for key in MULTIPLIERS:
        total *= terms.get(key, 1.0)
    counts = {"repliers": len(people), "pairs": pairs, "answered": s.author_answered}
    return Scored(s.item_id, author, total, terms, known[:3], counts)


def arrange(scored: Sequence[Scored], w: Weights, page: int = PAGE) -> list[Scored]:
    """Order by score, with diversity within each page: the n-th earlier post on the
    page by the same author counts (1 - floor) × decay^n + floor of its score."""
    queues: dict[int, list[Scored]] = {}
    for item in sorted(scored, key=lambda x: (x.score, x.item_id)):
        queues.setdefault(item.author_id, []).append(item)  # best last: pop() is cheap
    out: list[Scored] = []
    while queues:
        # Each page starts afresh. Within it, taking an author's post only lowers that
        # author's next one, so a heap of each author's best stays exact.
        heap = [(-q[-1].score, -q[-1].item_id, a) for a, q in queues.items()]
        heapq.heapify(heap)
        shown: Counter[int] = Counter()
        for _ in range(page):
            if not heap:
                break
            _, _, author_id = heapq.heappop(heap)
            queue = queues[author_id]
            item = queue.pop()
            factor = _diversity(shown[author_id], w)
            if factor < 1.0:
                item.terms["diversity"] = factor
                item.score *= factor
            shown[author_id] += 1
            out.append(item)
            if queue:
                value = queue[-1].score * _diversity(shown[author_id], w)
                heapq.heappush(heap, (-value, -queue[-1].item_id, author_id))
            else:
                del queues[author_id]
    return out


def _diversity(earlier: int, w: Weights) -> float:
    if earlier == 0:
        return 1.0
    return (1 - w.diversity_floor) * w.diversity_decay**earlier + w.diversity_floor
