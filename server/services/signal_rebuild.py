"""Signal rebuild: every thread's facts and sums derived again from the posts.

For `porch ranking rebuild` (after a restore, an upgrade or a change of thresholds) and
for threads whose posts moved (a missing parent arrived). The sums themselves are
server/services/thread_sums.py; keeping them current as replies arrive is
server/services/signal_upkeep.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Follow,
    FollowState,
    Like,
    Post,
    PostState,
    ReplyFact,
    ThreadSignals,
)
from server.services.signal_statements import (
    FACT_COLUMNS,
    REPLY_FACTS,
    THREAD_SIGNALS,
    UPDATE_SUMS,
    counted_fact,
    update_params,
)
from server.services.signal_upkeep import (
    RECENT_POSTS,
    add_fact,
    new_signals,
    resum,
    start_thread,
    thresholds,
)
from server.services.thread_sums import OPEN, Fact, Thresholds, substance_length, summarise

#: What rebuilding reads of each post (more columns than `select` has typed overloads for).
POST_COLUMNS: tuple[Any, ...] = (
    Post.id,
    Post.actor_id,
    Post.in_reply_to_id,
    Post.root_id,
    Post.text,
    Post.visibility,
    Post.published_at,
    Post.in_reply_to_uri,
)
#: The order facts are summed in: by thread, then by post.
FACT_KEYS: tuple[Any, ...] = (ReplyFact.root_id, ReplyFact.post_id)


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
    for boosted_id, count in (await session.exec(boosts)).all():
        assert boosted_id is not None  # boosts only: the query leaves out other posts
        found[boosted_id] = (found.get(boosted_id, (0, 0))[0], int(count))
    return found


async def rethread(
    session: AsyncSession, root_ids: Iterable[int], t: Thresholds | None = None
) -> None:
    """Posts moved between threads (a missing parent arrived): rebuild those threads."""
    roots = set(root_ids)
    if not roots:
        return
    await session.exec(delete(ReplyFact).where(col(ReplyFact.root_id).in_(roots)))
    await session.exec(delete(ThreadSignals).where(col(ThreadSignals.root_id).in_(roots)))
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
            await add_fact(session, post)
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
    await session.exec(delete(ReplyFact))
    await session.exec(delete(ThreadSignals))
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
                select(*POST_COLUMNS)
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
                row = new_signals(post_id, post_id, actor_id, at, len(history)).model_dump()
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
            await session.exec(THREAD_SIGNALS.insert(), params=new_threads)
        if new_facts:
            await session.exec(REPLY_FACTS.insert(), params=new_facts)
        await session.commit()
    # Threads whose first post is gone are led by their first public reply.
    orphaned = [
        new_signals(root_id, post_id, actor_id, at, 1).model_dump()
        for root_id, (post_id, actor_id, at) in leads.items()
        if root_id not in started
    ]
    for start in range(0, len(orphaned), batch):
        await session.exec(THREAD_SIGNALS.insert(), params=orphaned[start : start + batch])
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
            await session.exec(UPDATE_SUMS, params=pending)
            pending.clear()

    def close(root: int | None) -> None:
        if root is None or root not in threads:
            return  # facts of a thread nothing leads (its first post and replies gone)
        author, started = threads[root]
        pending.append(update_params(root, summarise(facts, author, started, t), started))

    while True:
        rows = (
            await session.exec(
                select(*FACT_KEYS, *FACT_COLUMNS)
                .where(
                    counted_fact(),
                    (col(ReplyFact.root_id) > after[0])
                    | ((col(ReplyFact.root_id) == after[0]) & (col(ReplyFact.post_id) > after[1])),
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
