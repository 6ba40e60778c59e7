"""Conversation signals: each thread's sums, kept current as replies arrive.

Every published reply (a member's or one from another server) leaves a `ReplyFact`:
who answered whom, when, and how much they wrote. A thread's `ThreadSignals` are summed
from its facts whenever one is added, edited or removed, so reading the Conversations
timeline never recounts a thread. What is summed here does not depend on who is
reading; the ranking adds the reader's own relations (server/services/ranking.py).

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
from collections import Counter, deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Follow,
    FollowState,
    Like,
    NormValue,
    Post,
    PostState,
    ReplyFact,
    ThreadSignals,
)
from server.services.content import MENTION
from server.services.norm_settings import (
    NormValues,
    build,
    hours,
    in_force,
    norm_field,
    norms_of,
    seconds,
    share,
)
from server.services.norms_registry import DEFAULTS

OPEN = ("public", "unlisted")
LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
SHORTCODE = re.compile(r":[A-Za-z0-9_]{2,}:")
RECENT_POSTS = timedelta(days=7)

#: The columns of `ThreadSignals` that summing a thread writes.
SUM_COLUMNS = (
    "replies",
    "voices",
    "people",
    "quiet_people",
    "author_answered",
    "median_length",
    "pairs",
    "pileon",
    "dominated",
    "last_activity",
    "updated_at",
)


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


FACT_COLUMNS = (
    ReplyFact.actor_id,
    ReplyFact.parent_actor_id,
    ReplyFact.domain,
    ReplyFact.at,
    ReplyFact.length,
    ReplyFact.visibility,
    ReplyFact.known_since,
    ReplyFact.followed_here,
    ReplyFact.tied,
)


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
    """Sum a thread's replies (pure: the tests and `rebuild` call it directly)."""
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


async def thresholds(session: AsyncSession) -> Thresholds:
    """The thresholds in force, reading only those norms (one small statement, read once
    per change of the norms)."""
    rows = await session.exec(
        select(NormValue.name, NormValue.value).where(col(NormValue.name).in_(SIGNAL_NORMS))
    )
    values, _ = in_force(rows.all(), {name: DEFAULTS[name] for name in SIGNAL_NORMS})
    return thresholds_from(values)


def _new_signals(
    root_id: int, item_id: int, author_id: int, started: datetime, recent: int
) -> ThreadSignals:
    # Every field given: letting the model fill its JSON defaults costs more than the row.
    return ThreadSignals(
        root_id=root_id,
        item_id=item_id,
        author_id=author_id,
        started_at=started,
        last_activity=started,
        author_recent_posts=max(1, recent),
        replies=0,
        voices=0.0,
        author_answered=0,
        median_length=0,
        pileon=False,
        dominated=False,
        likes=0,
        boosts=0,
        people={},
        quiet_people=[],
        pairs=[],
        updated_at=started,
    )


async def start_thread(session: AsyncSession, post: Post) -> None:
    """A top-level post was published: its thread starts with nothing to sum yet."""
    started = post.published_at or post.created_at
    recent = await session.exec(
        select(func.count())
        .select_from(Post)
        .where(
            col(Post.actor_id) == post.actor_id,
            col(Post.state) == PostState.published,
            col(Post.published_at) > started - RECENT_POSTS,
            col(Post.published_at) <= started,
            col(Post.in_reply_to_id).is_(None),
            col(Post.in_reply_to_uri).is_(None),
            col(Post.reblog_of_id).is_(None),
        )
    )
    session.add(_new_signals(post.id, post.id, post.actor_id, started, int(recent.one())))


async def record(session: AsyncSession, post: Post, t: Thresholds | None = None) -> None:
    """A post was published here (a member's after its pause, or one that arrived):
    start its thread or add it to one. Boosts are counted by `count_boost`."""
    if post.reblog_of_id is not None or post.state != PostState.published:
        return
    if post.in_reply_to_id is None:
        # Top-level, or a reply whose parent is still being fetched: until the parent
        # arrives it leads a thread of its own.
        await start_thread(session, post)
        return
    await _add_fact(session, post)
    # The common path: statements built once, run on the connection (no ORM work).
    connection = await session.connection()
    rows = (await connection.execute(FACTS_WITH_CONTEXT, {"root_id": post.root_id})).all()
    author_id, started_at, changed, last_change = rows[0][-4:] if rows else (None,) * 4
    t = t or await _thresholds_for(session, (int(changed or 0), last_change))
    if author_id is None or started_at is None:
        # The thread has no sums yet (its first post came before signals were kept).
        await resum(session, post.root_id, t)
        return
    if isinstance(started_at, str):  # a scalar subquery loses the column's type on SQLite
        started_at = datetime.fromisoformat(started_at)
        started_at = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
    sums = summarise([Fact(*r[:-4]) for r in rows], author_id, started_at, t)
    await connection.execute(UPDATE_SUMS, _update_params(post.root_id, sums, started_at))


#: Thresholds by the state of their norms' rows (how many, last change): norms change
#: rarely, and a reply must not read them each time.
_THRESHOLDS: dict[tuple[int, Any], Thresholds] = {}


async def _thresholds_for(session: AsyncSession, state: tuple[int, Any]) -> Thresholds:
    if state[0] == 0:
        return Thresholds()  # no threshold changed from its default
    found = _THRESHOLDS.get(state)
    if found is None:
        found = _THRESHOLDS[state] = await thresholds(session)
    return found


def _build_insert() -> Any:
    """A new reply's fact, worked out in the database as it is inserted: whom it answers,
    the thread's author, the replier's server and age here, whether a member follows
    them, and whether they were tied to the author. Built once: building a statement
    costs more than running it."""
    table = ReplyFact.__table__  # type: ignore[attr-defined]
    parent, root, replier, follower = aliased(Post), aliased(Post), aliased(Actor), aliased(Actor)
    answered = aliased(ReplyFact)
    post_id, root_id = bindparam("post_id"), bindparam("root_id")
    actor_id, parent_id = bindparam("actor_id"), bindparam("parent_id")
    root_author = select(root.actor_id).where(col(root.id) == root_id).scalar_subquery()
    followed_here = exists(
        select(Follow.id)
        .join(follower, col(follower.id) == Follow.follower_id)
        .where(
            col(Follow.followed_id) == actor_id,
            col(Follow.state) == FollowState.accepted,
            col(follower.domain).is_(None),
        )
    )
    # Tied to the author before this thread: following them, or having been answered by
    # them elsewhere. (Having answered them oneself is no tie: crowds return.)
    tied = or_(
        exists(
            select(Follow.id).where(
                col(Follow.follower_id) == actor_id,
                col(Follow.followed_id) == root_author,
                col(Follow.state) == FollowState.accepted,
            )
        ),
        exists(
            select(answered.post_id).where(
                col(answered.actor_id) == root_author,
                col(answered.parent_actor_id) == actor_id,
                root_author != actor_id,  # one's own follow-ups answer nobody
                col(answered.root_id) != root_id,
                col(answered.post_id) < post_id,
            )
        ),
    )
    values = select(
        bindparam("post_id", type_=table.c.post_id.type),
        bindparam("root_id", type_=table.c.root_id.type),
        bindparam("actor_id", type_=table.c.actor_id.type),
        select(parent.actor_id).where(col(parent.id) == parent_id).scalar_subquery(),
        root_author,
        replier.domain,
        bindparam("at", type_=table.c.at.type),
        bindparam("length", type_=table.c.length.type),
        bindparam("visibility", type_=table.c.visibility.type),
        replier.created_at,
        followed_here,
        tied,
    ).where(col(replier.id) == actor_id)
    columns = [
        "post_id",
        "root_id",
        "actor_id",
        "parent_actor_id",
        "root_author_id",
        "domain",
        "at",
        "length",
        "visibility",
        "known_since",
        "followed_here",
        "tied",
    ]
    return table.insert().from_select(columns, values)


def _build_facts() -> Select[Any]:
    """A thread's facts, each row also carrying what summing them needs: the thread's
    author and start (when it has sums), and the state of the threshold norms."""
    root_id = bindparam("root_id")
    signals = select(ThreadSignals.author_id).where(col(ThreadSignals.root_id) == root_id)
    changed = select(func.count()).where(col(NormValue.name).in_(SIGNAL_NORMS))
    return select(
        *FACT_COLUMNS,
        signals.scalar_subquery(),
        signals.with_only_columns(ThreadSignals.started_at).scalar_subquery(),
        changed.scalar_subquery(),
        changed.with_only_columns(func.max(NormValue.updated_at)).scalar_subquery(),
    ).where(col(ReplyFact.root_id) == root_id)


INSERT_FACT = _build_insert()
FACTS_WITH_CONTEXT = _build_facts()
FACTS_OF = select(*FACT_COLUMNS).where(col(ReplyFact.root_id) == bindparam("root_id"))
_TABLE = ThreadSignals.__table__  # type: ignore[attr-defined]
#: Core, with bind names of their own (an ORM bulk update would sync the session).
UPDATE_SUMS = (
    _TABLE.update()
    .where(_TABLE.c.root_id == bindparam("root"))
    .values({key: bindparam(f"new_{key}") for key in SUM_COLUMNS})
)


def _update_params(root_id: int, sums: Sums, started_at: datetime) -> dict[str, Any]:
    return {"root": root_id, **{f"new_{k}": v for k, v in _values(sums, started_at).items()}}


async def _add_fact(session: AsyncSession, post: Post) -> None:
    """Store the fact of a published reply."""
    await session.flush()  # the post itself, before its fact refers to it
    connection = await session.connection()
    await connection.execute(INSERT_FACT, _fact_params(post))


def _fact_params(post: Post) -> dict[str, Any]:
    return {
        "post_id": post.id,
        "root_id": post.root_id,
        "actor_id": post.actor_id,
        "parent_id": post.in_reply_to_id,
        "at": post.published_at or post.created_at,
        "length": substance_length(post.text),
        "visibility": str(post.visibility),
    }


async def resum(session: AsyncSession, root_id: int, t: Thresholds) -> None:
    """Sum one thread again from its facts."""
    signals = await session.get(ThreadSignals, root_id)
    if signals is None:
        root = await session.get(Post, root_id)
        if root is None or root.state != PostState.published:
            return  # the thread's first post is gone or unknown: nothing leads it
        await start_thread(session, root)
        signals = await session.get(ThreadSignals, root_id)
        assert signals is not None
    rows = await session.exec(FACTS_OF, params={"root_id": root_id})  # type: ignore[call-overload]
    facts = [Fact(*r) for r in rows.all()]
    _apply(signals, summarise(facts, signals.author_id, signals.started_at, t))
    session.add(signals)


def _values(sums: Sums, started_at: datetime) -> dict[str, Any]:
    last = max(started_at, sums.last_activity or started_at)
    return {
        "replies": sums.replies,
        "voices": sums.voices,
        "people": sums.people,
        "quiet_people": sums.quiet_people,
        "author_answered": sums.author_answered,
        "median_length": sums.median_length,
        "pairs": sums.pairs,
        "pileon": sums.pileon,
        "dominated": sums.dominated,
        "last_activity": last,
        "updated_at": last,
    }


def _apply(signals: ThreadSignals, sums: Sums) -> None:
    for key, value in _values(sums, signals.started_at).items():
        setattr(signals, key, value)


async def edited(session: AsyncSession, post: Post, t: Thresholds | None = None) -> None:
    """A published reply's words changed: so may whether it counts."""
    fact = await session.get(ReplyFact, post.id)
    if fact is None:
        return
    fact.length = substance_length(post.text)
    session.add(fact)
    await session.flush()
    await resum(session, fact.root_id, t or await thresholds(session))


async def forget(session: AsyncSession, post: Post, t: Thresholds | None = None) -> None:
    """A post was deleted. A reply leaves its thread's sums; a thread whose first post
    is gone is led by its first remaining public reply, so it still ranks."""
    if post.reblog_of_id is not None:
        return
    fact = await session.get(ReplyFact, post.id)
    if fact is not None:
        root_id = fact.root_id
        await session.delete(fact)
        await session.flush()
        signals = await session.get(ThreadSignals, root_id)
        if (
            signals is not None
            and signals.item_id == post.id
            and not await _hand_on(session, signals)
        ):
            return
        await resum(session, root_id, t or await thresholds(session))
        return
    signals = await session.get(ThreadSignals, post.id)
    if signals is not None:
        await _hand_on(session, signals, gone=post.id)


async def _hand_on(session: AsyncSession, signals: ThreadSignals, gone: int | None = None) -> bool:
    """The post leading a thread is gone: its first remaining public reply leads it
    now. False (and the thread forgotten) when none is left."""
    query = (
        select(ReplyFact.post_id)
        .where(col(ReplyFact.root_id) == signals.root_id, col(ReplyFact.visibility).in_(OPEN))
        .order_by(col(ReplyFact.at))
        .limit(1)
    )
    if gone is not None:
        query = query.where(col(ReplyFact.post_id) != gone)
    found = (await session.exec(query)).first()
    if found is None:
        await session.delete(signals)
        return False
    signals.item_id = found
    session.add(signals)
    return True


async def count_like(session: AsyncSession, post_id: int, change: int) -> None:
    """A like on a thread's first post came or went (it weighs near nothing)."""
    await session.exec(
        update(ThreadSignals)
        .where(col(ThreadSignals.root_id) == post_id)
        .values(likes=ThreadSignals.likes + change)
    )  # type: ignore[call-overload]


async def count_boost(session: AsyncSession, post_id: int, change: int) -> None:
    """A boost of a thread's first post came or went."""
    await session.exec(
        update(ThreadSignals)
        .where(col(ThreadSignals.root_id) == post_id)
        .values(boosts=ThreadSignals.boosts + change)
    )  # type: ignore[call-overload]


async def _reactions(
    session: AsyncSession, root_ids: Collection[int] | None = None
) -> dict[int, tuple[int, int]]:
    """(likes, boosts) of thread roots: of `root_ids`, or of every post with any."""
    likes = select(Like.post_id, func.count()).group_by(col(Like.post_id))
    boosts = (
        select(Post.reblog_of_id, func.count())
        .where(col(Post.reblog_of_id).is_not(None), col(Post.state) == PostState.published)
        .group_by(col(Post.reblog_of_id))
    )
    if root_ids is not None:
        likes = likes.where(col(Like.post_id).in_(root_ids))
        boosts = boosts.where(col(Post.reblog_of_id).in_(root_ids))
    found: dict[int, tuple[int, int]] = {}
    for post_id, count in (await session.exec(likes)).all():
        found[post_id] = (int(count), 0)
    for post_id, count in (await session.exec(boosts)).all():
        found[post_id] = (found.get(post_id, (0, 0))[0], int(count))
    return found


async def rethread(
    session: AsyncSession, root_ids: Iterable[int], t: Thresholds | None = None
) -> None:
    """Posts moved between threads (a missing parent arrived): rebuild those threads."""
    roots = set(root_ids)
    if not roots:
        return
    await session.exec(delete(ReplyFact).where(col(ReplyFact.root_id).in_(roots)))  # type: ignore[call-overload]
    await session.exec(delete(ThreadSignals).where(col(ThreadSignals.root_id).in_(roots)))  # type: ignore[call-overload]
    await session.flush()
    rows = await session.exec(
        select(Post)
        .where(
            col(Post.root_id).in_(roots),
            col(Post.state) == PostState.published,
            col(Post.reblog_of_id).is_(None),
        )
        .order_by(col(Post.id))
        .execution_options(populate_existing=True)
    )
    posts = list(rows.all())
    for post in posts:
        if post.in_reply_to_id is None:
            await start_thread(session, post)
        else:
            await _add_fact(session, post)
    await session.flush()
    t = t or await thresholds(session)
    counts = await _reactions(session, roots)
    for root in {p.root_id for p in posts}:
        await resum(session, root, t)
        signals = await session.get(ThreadSignals, root)
        if signals is not None:
            signals.likes, signals.boosts = counts.get(root, (0, 0))
            session.add(signals)


async def rebuild(session: AsyncSession, t: Thresholds, *, batch: int = 5000) -> tuple[int, int]:
    """Forget every signal and derive them again from the posts: (threads, replies).

    For `porch ranking rebuild` after a restore, an upgrade, or a change of thresholds.
    Walks the posts in id (time) order, so "were they tied to the author before" reads
    as it did when each reply arrived, then sums the threads a batch at a time.
    """
    await session.exec(delete(ReplyFact))  # type: ignore[call-overload]
    await session.exec(delete(ThreadSignals))  # type: ignore[call-overload]
    await session.commit()
    accepted = col(Follow.state) == FollowState.accepted
    followed_here = set(
        (
            await session.exec(
                select(Follow.followed_id)
                .join(Actor, col(Actor.id) == Follow.follower_id)
                .where(col(Actor.domain).is_(None), accepted)
                .distinct()
            )
        ).all()
    )
    follows = set(
        (await session.exec(select(Follow.follower_id, Follow.followed_id).where(accepted))).all()
    )
    actors = {
        i: (d, c)
        for i, d, c in (await session.exec(select(Actor.id, Actor.domain, Actor.created_at))).all()
    }
    reactions = await _reactions(session)
    authors: dict[int, int] = {}  # post id -> author, for parents and roots
    # (author, person) -> the threads where the author answered that person.
    answered: dict[tuple[int, int], set[int]] = {}
    recent: dict[int, deque[datetime]] = {}
    leads: dict[int, tuple[int, int, datetime]] = {}  # first public reply of each thread
    started: set[int] = set()
    threads = replies = 0
    last_id = -1
    while True:
        rows = (
            await session.exec(
                select(
                    Post.id,
                    Post.actor_id,
                    Post.in_reply_to_id,
                    Post.root_id,
                    Post.text,
                    Post.visibility,
                    Post.published_at,
                    Post.in_reply_to_uri,
                )
                .where(
                    col(Post.id) > last_id,
                    col(Post.state) == PostState.published,
                    col(Post.reblog_of_id).is_(None),
                )
                .order_by(col(Post.id))
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        new_threads: list[dict[str, Any]] = []
        new_facts: list[dict[str, Any]] = []
        for post_id, actor_id, parent_id, root_id, text, visibility, at, orphan_of in rows:
            authors[post_id] = actor_id
            at = at or datetime.min.replace(tzinfo=UTC)
            if parent_id is None:
                history = recent.setdefault(actor_id, deque())
                while history and history[0] <= at - RECENT_POSTS:
                    history.popleft()
                if orphan_of is None:
                    history.append(at)
                row = _new_signals(post_id, post_id, actor_id, at, len(history)).model_dump()
                row["likes"], row["boosts"] = reactions.get(post_id, (0, 0))
                new_threads.append(row)
                started.add(post_id)
                threads += 1
                continue
            root_author = authors.get(root_id)
            parent_author = authors.get(parent_id)
            domain, known_since = actors.get(actor_id, (None, at))
            earlier = answered.get((root_author, actor_id), set()) if root_author else set()
            tied = (actor_id, root_author) in follows or bool(earlier - {root_id})
            if parent_author is not None and parent_author != actor_id:
                answered.setdefault((actor_id, parent_author), set()).add(root_id)
            new_facts.append(
                {
                    "post_id": post_id,
                    "root_id": root_id,
                    "actor_id": actor_id,
                    "parent_actor_id": parent_author,
                    "root_author_id": root_author,
                    "domain": domain,
                    "at": at,
                    "length": substance_length(text),
                    "visibility": str(visibility),
                    "known_since": known_since,
                    "followed_here": actor_id in followed_here,
                    "tied": tied,
                }
            )
            if str(visibility) in OPEN and root_id not in leads:
                leads[root_id] = (post_id, actor_id, at)
            replies += 1
        if new_threads:
            await session.exec(ThreadSignals.__table__.insert(), params=new_threads)  # type: ignore[attr-defined,call-overload]
        if new_facts:
            await session.exec(ReplyFact.__table__.insert(), params=new_facts)  # type: ignore[attr-defined,call-overload]
        await session.commit()
    # Threads whose first post is gone are led by their first public reply.
    orphaned = [
        _new_signals(root_id, post_id, actor_id, at, 1).model_dump()
        for root_id, (post_id, actor_id, at) in leads.items()
        if root_id not in started
    ]
    for start in range(0, len(orphaned), batch):
        await session.exec(ThreadSignals.__table__.insert(), params=orphaned[start : start + batch])  # type: ignore[attr-defined,call-overload]
    threads += len(orphaned)
    await session.commit()
    await _sum_all(session, t, batch)
    return threads, replies


async def _sum_all(session: AsyncSession, t: Thresholds, batch: int) -> None:
    """Sum every thread that has facts, reading them in root order a batch at a time."""
    threads = {
        root: (author, started)
        for root, author, started in (
            await session.exec(
                select(ThreadSignals.root_id, ThreadSignals.author_id, ThreadSignals.started_at)
            )
        ).all()
    }
    after: tuple[int, int] = (-1, -1)
    current: int | None = None
    facts: list[Fact] = []
    pending: list[dict[str, Any]] = []

    async def flush() -> None:
        if pending:
            await session.exec(UPDATE_SUMS, params=pending)  # type: ignore[call-overload]
            pending.clear()

    def close(root: int | None) -> None:
        if root is None or root not in threads:
            return  # facts of a thread nothing leads (its first post and replies gone)
        author, started = threads[root]
        pending.append(_update_params(root, summarise(facts, author, started, t), started))

    while True:
        rows = (
            await session.exec(
                select(ReplyFact.root_id, ReplyFact.post_id, *FACT_COLUMNS)
                .where(
                    (col(ReplyFact.root_id) > after[0])
                    | ((col(ReplyFact.root_id) == after[0]) & (col(ReplyFact.post_id) > after[1]))
                )
                .order_by(col(ReplyFact.root_id), col(ReplyFact.post_id))
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for root_id, post_id, *rest in rows:
            if root_id != current:
                close(current)
                current, facts = root_id, []
            facts.append(Fact(*rest))
            after = (root_id, post_id)
        if len(pending) >= batch:
            await flush()
            await session.commit()
    close(current)
    await flush()
    await session.commit()


async def resum_since(session: AsyncSession, since: datetime, t: Thresholds) -> int:
    """Sum again every thread started since `since` (after a threshold changed: only
    threads recent enough to rank need it at once; `rebuild` does the rest)."""
    roots = (
        await session.exec(
            select(ThreadSignals.root_id).where(col(ThreadSignals.started_at) >= since)
        )
    ).all()
    for root_id in roots:
        await resum(session, root_id, t)
    await session.commit()
    return len(roots)
