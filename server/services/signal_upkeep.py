"""Signal upkeep: each thread's sums kept current as replies arrive, change and go.

Every published reply (a member's or one from another server) leaves a `ReplyFact`:
who answered whom, when, and how much they wrote. A thread's `ThreadSignals` are summed
(server/services/thread_sums.py) from its facts whenever one is added, edited or
removed, so reading the Conversations timeline never recounts a thread.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    NormValue,
    Post,
    PostState,
    ReplyFact,
    ThreadSignals,
)
from server.services.norm_settings import in_force
from server.services.norms_registry import DEFAULTS
from server.services.signal_statements import (
    FACTS_OF,
    FACTS_WITH_CONTEXT,
    INSERT_FACT,
    START_COLUMNS,
    START_THREAD,
    UPDATE_SUMS,
    counted_fact,
    sum_values,
    update_params,
)
from server.services.thread_sums import (
    OPEN,
    SIGNAL_NORMS,
    Fact,
    Sums,
    Thresholds,
    substance_length,
    summarise,
    thresholds_from,
)

RECENT_POSTS = timedelta(days=7)


async def thresholds(session: AsyncSession) -> Thresholds:
    """The thresholds in force, reading only those norms (one small statement, read once
    per change of the norms)."""
    rows = await session.exec(
        select(NormValue.name, NormValue.value).where(col(NormValue.name).in_(SIGNAL_NORMS))
    )
    values, _ = in_force(rows.all(), {name: DEFAULTS[name] for name in SIGNAL_NORMS})
    return thresholds_from(values)


def new_values(
    root_id: int, item_id: int, author_id: int, started: datetime, recent: int
) -> dict[str, Any]:
    """The columns of a thread's `ThreadSignals` before anything is summed."""
    # Every field given: letting the model fill its JSON defaults costs more than the row.
    return {
        "root_id": root_id,
        "item_id": item_id,
        "author_id": author_id,
        "started_at": started,
        "last_activity": started,
        "author_recent_posts": max(1, recent),
        "replies": 0,
        "voices": 0.0,
        "author_answered": 0,
        "median_length": 0,
        "pileon": False,
        "dominated": False,
        "likes": 0,
        "boosts": 0,
        "people": {},
        "quiet_people": [],
        "pairs": [],
        "updated_at": started,
    }


def new_signals(
    root_id: int, item_id: int, author_id: int, started: datetime, recent: int
) -> ThreadSignals:
    """A thread's `ThreadSignals` before anything is summed."""
    return ThreadSignals(**new_values(root_id, item_id, author_id, started, recent))


async def start_thread(session: AsyncSession, post: Post) -> None:
    """A top-level post was published: its thread starts with nothing to sum yet (one
    statement, which counts the author's recent posts as it inserts)."""
    started = post.published_at or post.created_at
    row = new_values(post.id, post.id, post.actor_id, started, 1)
    params = {name: row[name] for name in START_COLUMNS}
    params |= {"author": post.actor_id, "since": started - RECENT_POSTS, "until": started}
    await session.exec(START_THREAD, params=params)


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
    await add_fact(session, post)
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
    await connection.execute(UPDATE_SUMS, update_params(post.root_id, sums, started_at))


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


async def add_fact(session: AsyncSession, post: Post) -> None:
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
    rows = await session.exec(FACTS_OF, params={"root_id": root_id})
    facts = [Fact(*r) for r in rows.all()]
    _apply(signals, summarise(facts, signals.author_id, signals.started_at, t))
    session.add(signals)


def _apply(signals: ThreadSignals, sums: Sums) -> None:
    for key, value in sum_values(sums, signals.started_at).items():
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
        .where(
            col(ReplyFact.root_id) == signals.root_id,
            col(ReplyFact.visibility).in_(OPEN),
            counted_fact(),
        )
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
    )


async def count_boost(session: AsyncSession, post_id: int, change: int) -> None:
    """A boost of a thread's first post came or went."""
    await session.exec(
        update(ThreadSignals)
        .where(col(ThreadSignals.root_id) == post_id)
        .values(boosts=ThreadSignals.boosts + change)
    )


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


async def count_quote(session: AsyncSession, quoting: Post, quoted: Post) -> None:
    """An approved quote of `quoted` by someone who is not a mutual of its author counts
    in the quoted thread as a reply does: a voice, and toward the pile-on flag (tied or
    not as a replier would be); never as appreciation (docs/ranking.md)."""
    if quoting.in_reply_to_id is not None or quoted.reblog_of_id is not None:
        return  # a reply is counted in its own thread already
    if await session.get(ReplyFact, quoting.id) is not None:
        return
    params = {**_fact_params(quoting), "root_id": quoted.root_id, "parent_id": quoted.id}
    await session.flush()
    connection = await session.connection()
    await connection.execute(INSERT_FACT, params)
    await resum(session, quoted.root_id, await thresholds(session))


async def uncount_quote(session: AsyncSession, quoting_id: int, quoted: Post) -> None:
    """A quote no longer shown (revoked, refused) stops counting in the quoted thread."""
    fact = await session.get(ReplyFact, quoting_id)
    if fact is None or fact.root_id != quoted.root_id:
        return  # never counted there (a mutual's quote, or a reply in its own thread)
    await session.delete(fact)
    await session.flush()
    await resum(session, quoted.root_id, await thresholds(session))
