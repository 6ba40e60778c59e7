"""The Conversations timeline: the threads a reader may see, ranked, and paged.

Candidates are the threads of the window the reader's people started or talk in; the
score and the diversity of a page are server/services/ranking.py. A member's ranked
order is kept as a `RankedSnapshot` when they open the timeline; later pages read from
it, so paging neither repeats nor skips while scores move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, delete, exists, literal, union, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Block,
    Follow,
    FollowState,
    ListMember,
    Mute,
    PersonList,
    Post,
    PostState,
    RankedSnapshot,
    ReplyFact,
    ThreadSignals,
)
from server.services import mutes, statements, stewardship
from server.services.kept_orders import REUSE_FOR, KeptOrders
from server.services.post_views import PostView, views_of
from server.services.ranking import Relations, Scored, Signals, Weights, arrange, score
from server.services.signal_statements import counted_fact
from server.services.timelines import PAGE
from server.services.visibility import visible_to

#: How long a member's ranked order is kept for paging.
SNAPSHOT_LIFE = timedelta(hours=12)
#: How many of a member's ranked orders are kept at once.
SNAPSHOTS_KEPT = 4
#: Replies whose authors' followers can read them.
READABLE = ("public", "unlisted", "followers")


async def relations(session: AsyncSession, viewer_id: int, now: datetime) -> Relations:
    """The reader's follows both ways, blocks both ways and mutes, in one statement."""
    accepted = col(Follow.state) == FollowState.accepted
    # A UNION is no `select` to the session: it is read through a subquery.
    both = union_all(
        select(Follow.followed_id, literal("following")).where(
            col(Follow.follower_id) == viewer_id, accepted
        ),
        select(Follow.follower_id, literal("follower")).where(
            col(Follow.followed_id) == viewer_id, accepted
        ),
        select(Block.target_id, literal("hidden")).where(col(Block.actor_id) == viewer_id),
        select(Block.actor_id, literal("hidden")).where(col(Block.target_id) == viewer_id),
        mutes.muted_ids(viewer_id, now).add_columns(literal("hidden")),
    ).subquery()
    rows = await session.exec(select(both.c[0], both.c[1]))
    found: dict[str, set[int]] = {"following": set(), "follower": set(), "hidden": set()}
    for actor_id, kind in rows.all():
        found[kind].add(actor_id)
    return Relations(
        viewer_id,
        frozenset(found["following"] - found["hidden"]),
        frozenset(found["follower"]),
        frozenset(found["hidden"]),
    )


#: What the score reads of `ThreadSignals`.
SIGNAL_COLUMNS: tuple[Any, ...] = (
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
        counted_fact(),  # a hidden reply brings no one's thread in
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
            # A thread whose first post is gone is led by a reply: never a collapsed one.
            stewardship.shown_in_thread(),
        )
    )
    hidden = rel.hidden
    return [Signals(*r) for r in rows.all() if r[1] not in hidden]


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
    kept: KeptOrders | None = None,
) -> RankedPage:
    """One page of the reader's Conversations timeline.

    Without a snapshot (a fresh look) the order is computed and kept; `snapshot_id`
    and `offset` (web) or `after_post_id` (apps, which page by the last post they
    showed) continue that order. With `kept`, a fresh look reuses the order ranked
    for the reader moments ago while nothing has changed it (server/services/kept_orders.py).
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
    fresh = snapshot is None
    offset = max(0, offset)
    # A fresh open given the order kept moments ago reads its page from the kept first
    # entries, once the database says the order may still be given (no decoding of the
    # whole order, which costs more than the rest of the page).
    head: tuple[list[Any], int] | None = None
    if fresh and kept is not None and (reused := kept.kept(viewer_id)) is not None:
        head = kept.head(viewer_id, reused, offset + limit)
        if head is not None and await _still_reusable(session, viewer_id, reused, now):
            order_id = reused
        else:
            head = None
            snapshot = await _reusable(session, viewer_id, reused, now)
            if snapshot is None:
                kept.forget(viewer_id)
    ranked_now = snapshot is None and head is None
    if ranked_now:
        mark = kept.mark() if kept is not None else 0
        ranked = await rank(session, viewer_id, now, w)
        # Keep a few recent orders (other tabs may still be paging through them).
        recent = (
            select(RankedSnapshot.id)
            .where(col(RankedSnapshot.viewer_id) == viewer_id)
            .order_by(col(RankedSnapshot.id).desc())
            .limit(SNAPSHOTS_KEPT - 1)
        )
        await session.exec(
            delete(RankedSnapshot).where(
                col(RankedSnapshot.viewer_id) == viewer_id,
                col(RankedSnapshot.id).not_in(recent.scalar_subquery())
                | (col(RankedSnapshot.created_at) < now - SNAPSHOT_LIFE),
            )
        )
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
        if kept is not None and snapshot.id is not None:
            kept.keep(viewer_id, snapshot.id, mark)
    if fresh:
        pending = await _pending(session, viewer_id)
    if head is not None:
        entries, total = head[0][offset:], head[1]
    else:
        assert snapshot is not None and snapshot.id is not None
        order_id = snapshot.id
        entries, total = snapshot.items[offset : offset + limit], len(snapshot.items)
        if fresh and kept is not None:
            kept.keep_head(viewer_id, order_id, snapshot.items)
    views = {v.post.id: v for v in await views_of(session, viewer_id, [e[0] for e in entries])}
    # The people the wording names: those the reader follows who are talking, and each
    # thread's author (who is not the shown post's once a first post is gone).
    people_ids = {i for e in entries for i in e[3]} | {e[5] for e in entries}
    people_ids |= {v.author.id for v in views.values() if v.author.id is not None}
    rows = await session.exec(_PEOPLE, params={"among": list(people_ids)})
    people = {a.id: a for a in rows.all() if a.id is not None}
    # The order was ranked earlier: who the reader blocks or mutes now is looked at again,
    # so a block or mute shows on the next read even if no event told of it.
    hidden = set() if ranked_now else await _hidden(session, viewer_id, people_ids, now)
    items = [
        Ranked(
            views[e[0]],
            e[1],
            e[2],
            [people[i] for i in e[3] if i in people and i not in hidden],
            e[4],
            people.get(e[5], views[e[0]].author),
        )
        for e in entries
        if e[0] in views and e[5] not in hidden and views[e[0]].author.id not in hidden
    ]
    more = offset + limit < total
    return RankedPage(items, order_id, offset + limit if more else None, pending)


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


#: Bound parameters of the statements below, built once (building them cost more than
#: running them).
_VIEWER = bindparam("viewer", type_=Integer)
_SNAPSHOT = bindparam("snapshot", type_=Integer)
_AMONG = bindparam("among", expanding=True, type_=Integer)
_NOW: BindParameter[datetime] = bindparam("now")
_SINCE: BindParameter[datetime] = bindparam("since")

# The kept snapshot may be given again if it is younger than `REUSE_FOR` and the reader
# has published nothing since it was ranked (their own new thread belongs in their order
# at once).
_REUSE = (
    col(RankedSnapshot.id) == _SNAPSHOT,
    col(RankedSnapshot.viewer_id) == _VIEWER,
    col(RankedSnapshot.created_at) > _SINCE,
    col(RankedSnapshot.created_at) <= _NOW,
    ~exists().where(
        col(Post.actor_id) == _VIEWER,
        col(Post.state) == PostState.published,
        col(Post.published_at) >= RankedSnapshot.created_at,
    ),
)
_REUSABLE = select(RankedSnapshot).where(*_REUSE)
_STILL_REUSABLE = select(RankedSnapshot.id).where(*_REUSE)

#: Who of `among` the reader blocks, mutes, or is blocked by, now.
_HIDDEN_AMONG = union_all(
    select(Block.target_id).where(col(Block.actor_id) == _VIEWER, col(Block.target_id).in_(_AMONG)),
    select(Block.actor_id).where(col(Block.target_id) == _VIEWER, col(Block.actor_id).in_(_AMONG)),
    mutes.muted_ids(_VIEWER, _NOW).where(col(Mute.target_id).in_(_AMONG)),
)

_PEOPLE = select(Actor).where(col(Actor.id).in_(_AMONG))


def _reuse_params(viewer_id: int, snapshot_id: int, now: datetime) -> dict[str, Any]:
    return {"viewer": viewer_id, "snapshot": snapshot_id, "now": now, "since": now - REUSE_FOR}


async def _reusable(
    session: AsyncSession, viewer_id: int, snapshot_id: int, now: datetime
) -> RankedSnapshot | None:
    """The kept snapshot, if it may be given again."""
    found = await session.exec(_REUSABLE, params=_reuse_params(viewer_id, snapshot_id, now))
    return found.first()


async def _still_reusable(
    session: AsyncSession, viewer_id: int, snapshot_id: int, now: datetime
) -> bool:
    """Whether the kept snapshot may be given again (its entries not read)."""
    found = await session.exec(_STILL_REUSABLE, params=_reuse_params(viewer_id, snapshot_id, now))
    return found.first() is not None


async def _hidden(
    session: AsyncSession, viewer_id: int, among: set[int], now: datetime
) -> set[int]:
    """Who of `among` the reader blocks, mutes, or is blocked by, now."""
    if not among:
        return set()
    params = {"viewer": viewer_id, "among": list(among), "now": now}
    return {int(i) for (i,) in (await statements.execute(session, _HIDDEN_AMONG, params)).all()}


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
