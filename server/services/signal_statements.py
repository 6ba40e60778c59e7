"""Signal statements: the SQL that keeps thread sums current, built once at import.

Building a statement costs more than running it, and a reply arrives far more often than
the code changes, so server/services/signal_upkeep.py and signal_rebuild.py run these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    bindparam,
    case,
    exists,
    func,
    or_,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col, select

from server.models import (
    Actor,
    Block,
    Follow,
    FollowState,
    HiddenReply,
    NormValue,
    Post,
    PostState,
    ReplyFact,
    ThreadSignals,
)
from server.services.thread_sums import SIGNAL_NORMS, Sums

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

#: The columns of `ReplyFact` that make a `Fact`.
FACT_COLUMNS: tuple[Any, ...] = (
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


def counted_fact() -> ColumnElement[bool]:
    """The condition that a reply's fact counts in its thread's signals: the thread's
    author did not hide it, nor block its author as a member here
    (server/services/stewardship.py). Hidden facts are kept, so showing the reply again
    only sums the thread again."""
    hidden = exists(select(HiddenReply.post_id).where(HiddenReply.post_id == ReplyFact.post_id))
    steward = aliased(Actor)
    blocked = exists(
        select(Block.id)
        .join(steward, col(steward.id) == Block.actor_id)
        .where(
            col(Block.actor_id) == ReplyFact.root_author_id,
            col(Block.target_id) == ReplyFact.actor_id,
            col(steward.domain).is_(None),
        )
    )
    return ~hidden & ~blocked


def core_table(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements that skip the ORM (SQLModel does not
    declare `__table__` to type checkers)."""
    table = sa_inspect(model).local_table
    assert isinstance(table, Table)
    return table


REPLY_FACTS = core_table(ReplyFact)
THREAD_SIGNALS = core_table(ThreadSignals)


def _build_insert() -> Any:
    """A new reply's fact, worked out in the database as it is inserted: whom it answers,
    the thread's author, the replier's server and age here, whether a member follows
    them, and whether they were tied to the author. Built once: building a statement
    costs more than running it."""
    table = REPLY_FACTS
    parent, root, replier, follower = aliased(Post), aliased(Post), aliased(Actor), aliased(Actor)
    answered = aliased(ReplyFact)
    post_id: BindParameter[int] = bindparam("post_id")
    root_id: BindParameter[int] = bindparam("root_id")
    actor_id: BindParameter[int] = bindparam("actor_id")
    parent_id: BindParameter[int] = bindparam("parent_id")
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
    # More columns than `select` has typed overloads for: passed as one list.
    selected: list[Any] = [
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
    ]
    values = select(*selected).where(col(replier.id) == actor_id)
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
    root_id: BindParameter[int] = bindparam("root_id")
    signals = select(ThreadSignals.author_id).where(col(ThreadSignals.root_id) == root_id)
    changed = select(func.count()).where(col(NormValue.name).in_(SIGNAL_NORMS))
    context: tuple[Any, ...] = (
        signals.scalar_subquery(),
        signals.with_only_columns(col(ThreadSignals.started_at)).scalar_subquery(),
        changed.scalar_subquery(),
        changed.with_only_columns(func.max(NormValue.updated_at)).scalar_subquery(),
    )
    return select(*FACT_COLUMNS, *context).where(col(ReplyFact.root_id) == root_id, counted_fact())


def _build_start() -> Any:
    """A thread's `ThreadSignals` before anything is summed, with its author's top-level
    posts of the week up to its start ("posts rarely") counted inside the INSERT."""
    recent = (
        select(func.count())
        .select_from(Post)
        .where(
            col(Post.actor_id) == bindparam("author"),
            col(Post.state) == PostState.published,
            col(Post.published_at) > bindparam("since"),
            col(Post.published_at) <= bindparam("until"),
            col(Post.in_reply_to_id).is_(None),
            col(Post.in_reply_to_uri).is_(None),
            col(Post.reblog_of_id).is_(None),
        )
        .scalar_subquery()
    )
    # Every column given: the table's defaults are the model's, which Core does not run.
    values: dict[str, Any] = {name: bindparam(name) for name in START_COLUMNS}
    values["author_recent_posts"] = case((recent > 1, recent), else_=1)
    return THREAD_SIGNALS.insert().values(values)


#: The columns of a new thread's `ThreadSignals` given as parameters to `START_THREAD`: all
#: but `author_recent_posts`, which the INSERT counts itself.
START_COLUMNS = tuple(c.name for c in THREAD_SIGNALS.columns if c.name != "author_recent_posts")
INSERT_FACT = _build_insert()
START_THREAD = _build_start()
FACTS_WITH_CONTEXT = _build_facts()
FACTS_OF = select(*FACT_COLUMNS).where(
    col(ReplyFact.root_id) == bindparam("root_id"), counted_fact()
)
#: Core, with bind names of their own (an ORM bulk update would sync the session).
UPDATE_SUMS = (
    THREAD_SIGNALS.update()
    .where(THREAD_SIGNALS.c.root_id == bindparam("root"))
    .values({key: bindparam(f"new_{key}") for key in SUM_COLUMNS})
)


def update_params(root_id: int, sums: Sums, started_at: datetime) -> dict[str, Any]:
    """The parameters of `UPDATE_SUMS` for one thread."""
    return {"root": root_id, **{f"new_{k}": v for k, v in sum_values(sums, started_at).items()}}


def sum_values(sums: Sums, started_at: datetime) -> dict[str, Any]:
    """The `SUM_COLUMNS` of a thread, from its sums (a thread is never older than its start)."""
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
