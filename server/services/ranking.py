"""The Conversations timeline: threads ranked by meaningful conversation, explained.

The score is "Conversation Score v0" (docs/ranking.md): the thread's sums from
server/services/conversation_signals.py, weighed with the reader's own relations to
the people in it, times recency decay, a boost for people who rarely post, penalties
for pile-ons and dominated threads, and author diversity within a page. Every weight
is a norm.

A member's ranked order is kept as a `RankedSnapshot` when they open the timeline;
later pages read from it, so paging neither repeats nor skips while scores move.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, literal, union, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Block,
    Follow,
    FollowState,
    ListMember,
    PersonList,
    Post,
    PostState,
    RankedSnapshot,
    ReplyFact,
    ThreadSignals,
)
from server.services import mutes
from server.services.norm_settings import NormValues, build, hours, norm_field
from server.services.timelines import PAGE, PostView, views_of
from server.services.visibility import visible_to

#: How long a member's ranked order is kept for paging.
SNAPSHOT_LIFE = timedelta(hours=12)
#: How many of a member's ranked orders are kept at once.
SNAPSHOTS_KEPT = 4


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
READABLE = ("public", "unlisted", "followers")


async def relations(session: AsyncSession, viewer_id: int, now: datetime) -> Relations:
    """The reader's follows both ways, blocks both ways and mutes, in one statement."""
    accepted = col(Follow.state) == FollowState.accepted
    rows = await session.exec(
        union_all(
            select(Follow.followed_id, literal("following")).where(
                col(Follow.follower_id) == viewer_id, accepted
            ),
            select(Follow.follower_id, literal("follower")).where(
                col(Follow.followed_id) == viewer_id, accepted
            ),
            select(Block.target_id, literal("hidden")).where(col(Block.actor_id) == viewer_id),
            select(Block.actor_id, literal("hidden")).where(col(Block.target_id) == viewer_id),
            mutes.muted_ids(viewer_id, now).add_columns(literal("hidden")),
        )  # type: ignore[arg-type]
    )
    found: dict[str, set[int]] = {"following": set(), "follower": set(), "hidden": set()}
    for actor_id, kind in rows.all():
        found[kind].add(actor_id)
    return Relations(
        viewer_id,
        frozenset(found["following"] - found["hidden"]),
        frozenset(found["follower"]),
        frozenset(found["hidden"]),
    )


SIGNAL_COLUMNS = (
    ThreadSignals.item_id,
    ThreadSignals.author_id,
    ThreadSignals.started_at,
    ThreadSignals.author_recent_posts,
    ThreadSignals.author_answered,
    ThreadSignals.median_length,
    ThreadSignals.pileon,
    ThreadSignals.dominated,
    ThreadSignals.likes,
    ThreadSignals.boosts,
    ThreadSignals.people,
    ThreadSignals.quiet_people,
    ThreadSignals.pairs,
)


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


async def candidates(
    session: AsyncSession, rel: Relations, now: datetime, w: Weights
) -> list[Signals]:
    """Threads from the window: started by people the reader follows (or the reader),
    or where people they follow are talking; only ones the reader may see."""
    since = now - w.window
    followed = select(Follow.followed_id).where(
        col(Follow.follower_id) == rel.viewer_id, col(Follow.state) == FollowState.accepted
    )
    # Direct replies never bring a thread in: that would tell of a private message.
    talking = select(ReplyFact.root_id).where(
        col(ReplyFact.actor_id).in_(followed),
        col(ReplyFact.at) >= since,
        col(ReplyFact.visibility).in_(READABLE),
    )
    # People on an exclusive list are read there, as on the Latest timeline.
    listed = (
        select(ListMember.actor_id)
        .join(PersonList, col(PersonList.id) == ListMember.list_id)
        .where(PersonList.actor_id == rel.viewer_id, col(PersonList.exclusive).is_(True))
    )
    # Two index walks joined by UNION rather than an OR, which planners answer by
    # reading every recent thread: threads the followed people (or the reader) started,
    # on (author_id, started_at); threads they talk in, on reply_facts (actor_id, at).
    started = select(ThreadSignals.root_id).where(
        col(ThreadSignals.author_id).in_(union_all(followed, select(literal(rel.viewer_id)))),
        col(ThreadSignals.started_at) >= since,
    )
    rows = await session.exec(
        select(*SIGNAL_COLUMNS)
        .join(Post, col(Post.id) == ThreadSignals.item_id)
        .where(
            col(ThreadSignals.root_id).in_(union(started, talking)),
            col(ThreadSignals.started_at) >= since,
            col(ThreadSignals.author_id).not_in(listed),
            col(Post.state) == PostState.published,
            visible_to(rel.viewer_id),
        )
    )
    hidden = rel.hidden
    return [Signals(*r) for r in rows.all() if r[1] not in hidden]


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


async def rank(session: AsyncSession, viewer_id: int, now: datetime, w: Weights) -> list[Scored]:
    """The reader's Conversations order now, best first."""
    rel = await relations(session, viewer_id, now)
    found = await candidates(session, rel, now, w)
    return arrange([score(s, rel, now, w) for s in found], w)


@dataclass
class Ranked:
    """A post on the Conversations timeline, with why it is there."""

    view: PostView
    score: float
    terms: dict[str, float]
    known: list[Actor]
    counts: dict[str, int]
    #: Who started the thread (the shown post's author unless the first post is gone).
    author: Actor


@dataclass
class RankedPage:
    items: list[Ranked]
    snapshot_id: int
    #: Where the next page starts in the snapshot; None on the last page.
    next_offset: int | None
    #: The reader's own posts still in their pause (first page only).
    pending: list[PostView] = field(default_factory=list)


async def page(
    session: AsyncSession,
    viewer_id: int,
    now: datetime,
    w: Weights,
    *,
    snapshot_id: int | None = None,
    offset: int = 0,
    after_post_id: int | None = None,
    limit: int = PAGE,
) -> RankedPage:
    """One page of the reader's Conversations timeline.

    Without a snapshot (a fresh look) the order is computed and kept; `snapshot_id`
    and `offset` (web) or `after_post_id` (apps, which page by the last post they
    showed) continue that order.
    """
    snapshot = None
    if snapshot_id is not None or after_post_id is not None:
        snapshot = await _snapshot(session, viewer_id, snapshot_id, now)
        if snapshot is None:
            return RankedPage([], snapshot_id or 0, None)
        if after_post_id is not None:
            ids = [entry[0] for entry in snapshot.items]
            offset = ids.index(after_post_id) + 1 if after_post_id in ids else len(ids)
    pending: list[PostView] = []
    if snapshot is None:
        ranked = await rank(session, viewer_id, now, w)
        # Keep a few recent orders (other tabs may still be paging through them).
        kept = (
            select(RankedSnapshot.id)
            .where(col(RankedSnapshot.viewer_id) == viewer_id)
            .order_by(col(RankedSnapshot.id).desc())
            .limit(SNAPSHOTS_KEPT - 1)
        )
        await session.exec(
            delete(RankedSnapshot).where(
                col(RankedSnapshot.viewer_id) == viewer_id,
                col(RankedSnapshot.id).not_in(kept.scalar_subquery())
                | (col(RankedSnapshot.created_at) < now - SNAPSHOT_LIFE),
            )
        )  # type: ignore[call-overload]
        snapshot = RankedSnapshot(
            viewer_id=viewer_id,
            created_at=now,
            items=[
                [
                    r.item_id,
                    round(r.score, 4),
                    {k: round(v, 4) for k, v in r.terms.items()},
                    r.known_ids,
                    r.counts,
                    r.author_id,
                ]
                for r in ranked
            ],
        )
        session.add(snapshot)
        await session.commit()
        pending = await _pending(session, viewer_id)
    offset = max(0, offset)
    entries = snapshot.items[offset : offset + limit]
    views = {v.post.id: v for v in await views_of(session, viewer_id, [e[0] for e in entries])}
    # The people the wording names: those the reader follows who are talking, and each
    # thread's author (who is not the shown post's once a first post is gone).
    people_ids = {i for e in entries for i in e[3]} | {e[5] for e in entries}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(people_ids)))
    people = {a.id: a for a in rows.all() if a.id is not None}
    items = [
        Ranked(
            views[e[0]],
            e[1],
            e[2],
            [people[i] for i in e[3] if i in people],
            e[4],
            people.get(e[5], views[e[0]].author),
        )
        for e in entries
        if e[0] in views
    ]
    more = offset + limit < len(snapshot.items)
    assert snapshot.id is not None
    return RankedPage(items, snapshot.id, offset + limit if more else None, pending)


async def _snapshot(
    session: AsyncSession, viewer_id: int, snapshot_id: int | None, now: datetime
) -> RankedSnapshot | None:
    query = select(RankedSnapshot).where(
        col(RankedSnapshot.viewer_id) == viewer_id,
        col(RankedSnapshot.created_at) >= now - SNAPSHOT_LIFE,
    )
    if snapshot_id is not None:
        query = query.where(col(RankedSnapshot.id) == snapshot_id)
    else:
        query = query.order_by(col(RankedSnapshot.id).desc()).limit(1)
    return (await session.exec(query)).first()


async def _pending(session: AsyncSession, viewer_id: int) -> list[PostView]:
    rows = await session.exec(
        select(Post.id)
        .where(
            col(Post.actor_id) == viewer_id,
            # Written into the SQL, so SQLite can use the partial index of pending posts.
            col(Post.state) == literal(PostState.pending.value, literal_execute=True),
        )
        .order_by(col(Post.id).desc())
    )
    return await views_of(session, viewer_id, list(rows.all()))
