"""What the norms did over the last 30 days, in figures for the admins' dashboard.

Every figure counts; none names a person or quotes what anyone wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, exists, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, CareEvent, CareKind, Draft, Post, PostEdit, PostState
from server.services.experiment_arms import HOLDOUT

DAYS = 30
#: Tone nudge outcomes in the order shown; "" is a nudge nobody has answered yet.
NUDGE_OUTCOMES = ("rephrased", "draft", "as_written", "")
#: Card kinds in the order the cards service tries its rules.
CARD_KINDS = ("stranger", "old_post", "hot_thread", "unopened_link", "no_advice")


class utc_day(FunctionElement[date]):
    """The UTC calendar day of a stored time.

    `CAST(x AS DATE)` is no use on SQLite, which reads the text '2025-03-14 …' as the
    number 2025; and on PostgreSQL it would take the day in the session's time zone.
    """

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite holds times as UTC text without an offset; date() keeps its first ten chars.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@dataclass(frozen=True)
class Share:
    """One part of a whole: how many, and their share of the whole (0 when it is empty)."""

    name: str
    count: int
    share: float


@dataclass(frozen=True)
class PostsDay:
    day: date
    top_level: int = 0
    replies: int = 0


@dataclass(frozen=True)
class PauseChanges:
    """Posts that went into their pause, and what their authors did during it."""

    #: Local posts created in the window, plus the withdrawn ones (which are drafts now).
    entered: int
    edited: int
    #: Drafts created in the window: withdrawn posts and "keep as draft" alike.
    withdrawn: int

    @property
    def parts(self) -> list[Share]:
        rest = max(0, self.entered - self.edited - self.withdrawn)
        counts = {"edited": self.edited, "withdrawn": self.withdrawn, "unchanged": rest}
        return shares(counts, counts)


@dataclass(frozen=True)
class Nudges:
    shown: int
    outcomes: list[Share]


@dataclass(frozen=True)
class CardCount:
    detail: str
    shown: int = 0
    didnt_fit: int = 0


@dataclass(frozen=True)
class SlowDay:
    day: date
    #: Slowed by itself for running hot, or turned on by its author or a moderator.
    hot: int = 0
    manual: int = 0


@dataclass(frozen=True)
class Reciprocity:
    """Local replies to someone else, and how many of them that person answered."""

    replies: int
    answered: int

    @property
    def parts(self) -> list[Share]:
        counts = {"answered": self.answered, "unanswered": self.replies - self.answered}
        return shares(counts, counts)


@dataclass(frozen=True)
class Figures:
    days: list[date]
    posts: list[PostsDay]
    pause: PauseChanges
    nudges: Nudges
    cards: list[CardCount]
    slowed: list[SlowDay]
    reciprocity: Reciprocity


def window(now: datetime) -> tuple[list[date], datetime]:
    """The last 30 UTC days, today included, oldest first; and the moment the first began."""
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    return days, datetime.combine(days[0], time(), UTC)


def shares(counts: dict[str, int], order: Iterable[str]) -> list[Share]:
    """Each count with its share of the total: the names in `order` first (zeros
    included), then any others that turned up, alphabetically."""
    names = list(order)
    names += sorted(set(counts) - set(names))
    total = sum(counts.values())
    return [
        Share(name, counts.get(name, 0), counts.get(name, 0) / total if total else 0.0)
        for name in names
    ]


async def figures(session: AsyncSession, now: datetime) -> Figures:
    """Every figure on the dashboard, for the 30 UTC days up to `now`."""
    days, _ = window(now)
    return Figures(
        days=days,
        posts=await posts_per_day(session, now),
        pause=await pause_changes(session, now),
        nudges=await tone_nudges(session, now),
        cards=await cards_shown(session, now),
        slowed=await slowed_per_day(session, now),
        reciprocity=await reciprocity(session, now),
    )


def _of_local_posts(query: Any) -> Any:
    """`query` over posts written here (not boosts): what the pause applies to."""
    return (
        query.select_from(Post)
        .join(Actor, col(Actor.id) == col(Post.actor_id))
        .where(col(Actor.domain).is_(None), col(Post.reblog_of_id).is_(None))
    )


async def posts_per_day(session: AsyncSession, now: datetime) -> list[PostsDay]:
    """Local posts published on each day, top-level posts and replies apart."""
    days, start = window(now)
    day = utc_day(col(Post.published_at))
    is_reply = col(Post.in_reply_to_id).is_not(None)
    query = (
        _of_local_posts(select(day, is_reply, func.count()))
        .where(
            col(Post.state) == PostState.published,
            col(Post.published_at) >= start,
            col(Post.published_at) <= now,
        )
        .group_by(day, is_reply)
    )
    found: dict[date, dict[bool, int]] = {}
    for when, reply, count in (await session.exec(query)).all():
        found.setdefault(when, {})[bool(reply)] = int(count)
    return [
        PostsDay(d, found.get(d, {}).get(False, 0), found.get(d, {}).get(True, 0)) for d in days
    ]


async def pause_changes(session: AsyncSession, now: datetime) -> PauseChanges:
    """Of the local posts created in the window, how many were edited during their pause,
    and how many drafts were made (withdrawn posts become drafts)."""
    _, start = window(now)
    # A post edited in its pause and again after it keeps only the later edited_at; the
    # history row of that second edit is stamped with the pause edit's time.
    edited_before_publish = exists().where(
        col(PostEdit.post_id) == col(Post.id),
        col(PostEdit.created_at) < col(Post.published_at),
    )
    edited = or_(
        and_(
            col(Post.edited_at).is_not(None),
            or_(col(Post.published_at).is_(None), col(Post.edited_at) <= col(Post.published_at)),
        ),
        edited_before_publish,
    )
    drafts = (
        select(func.count())
        .select_from(Draft)
        .where(col(Draft.created_at) >= start, col(Draft.created_at) <= now)
        .scalar_subquery()
    )
    query = _of_local_posts(select(func.count(), _how_many(edited), drafts)).where(
        col(Post.created_at) >= start, col(Post.created_at) <= now
    )
    posts, edits, withdrawn = (await session.exec(query)).one()
    return PauseChanges(
        entered=int(posts) + int(withdrawn), edited=int(edits), withdrawn=int(withdrawn)
    )


def _how_many(condition: Any) -> Any:
    """How many rows of the group meet `condition` (0, not NULL, for no rows)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _care_in_window(kind: CareKind, start: datetime, now: datetime) -> Sequence[Any]:
    """Moments of `kind` in the window where the care was shown (not held back)."""
    return (
        col(CareEvent.kind) == kind,
        col(CareEvent.arm) != HOLDOUT,
        col(CareEvent.created_at) >= start,
        col(CareEvent.created_at) <= now,
    )


async def tone_nudges(session: AsyncSession, now: datetime) -> Nudges:
    """Tone nudges shown, and the share of each answer (rephrased, kept as a draft,
    posted as written, or none yet)."""
    _, start = window(now)
    query = (
        select(CareEvent.outcome, func.count())
        .where(*_care_in_window(CareKind.tone_nudge, start, now))
        .group_by(col(CareEvent.outcome))
    )
    counts = {outcome: int(n) for outcome, n in (await session.exec(query)).all()}
    return Nudges(shown=sum(counts.values()), outcomes=shares(counts, NUDGE_OUTCOMES))


async def cards_shown(session: AsyncSession, now: datetime) -> list[CardCount]:
    """Reflective cards shown, by the rule that chose them, with how many were answered
    "this didn't fit". Every known kind is listed, shown or not."""
    _, start = window(now)
    didnt_fit = _how_many(col(CareEvent.outcome) == "didnt_fit")
    query = (
        select(CareEvent.detail, func.count(), didnt_fit)
        .where(*_care_in_window(CareKind.card, start, now))
        .group_by(col(CareEvent.detail))
    )
    found = {
        detail: CardCount(detail, int(n), int(no))
        for detail, n, no in (await session.exec(query)).all()
    }
    names = list(CARD_KINDS) + sorted(set(found) - set(CARD_KINDS))
    return [found.get(name, CardCount(name)) for name in names]


async def slowed_per_day(session: AsyncSession, now: datetime) -> list[SlowDay]:
    """Threads put in slow mode on each day (the first time only), running hot or by hand."""
    days, start = window(now)
    day = utc_day(col(CareEvent.created_at))
    by_hand = col(CareEvent.detail).in_(("manual", "moderator"))
    query = (
        select(day, by_hand, func.count())
        .where(*_care_in_window(CareKind.slow_mode, start, now))
        .group_by(day, by_hand)
    )
    found: dict[date, dict[bool, int]] = {}
    for when, manual, count in (await session.exec(query)).all():
        found.setdefault(when, {})[bool(manual)] = int(count)
    return [SlowDay(d, found.get(d, {}).get(False, 0), found.get(d, {}).get(True, 0)) for d in days]


async def reciprocity(session: AsyncSession, now: datetime) -> Reciprocity:
    """Local replies published in the window to someone else's post, and how many the
    person replied to answered with a published reply of their own."""
    _, start = window(now)
    parent, answer = aliased(Post), aliased(Post)
    answered = exists().where(
        col(answer.in_reply_to_id) == col(Post.id),
        col(answer.actor_id) == col(parent.actor_id),
        col(answer.state) == PostState.published,
    )
    query = (
        _of_local_posts(select(func.count(), _how_many(answered)))
        .join(parent, col(parent.id) == col(Post.in_reply_to_id))
        .where(
            col(Post.state) == PostState.published,
            col(Post.published_at) >= start,
            col(Post.published_at) <= now,
            # Continuing one's own thread is not a conversation.
            col(parent.actor_id) != col(Post.actor_id),
        )
    )
    replies, got_answer = (await session.exec(query)).one()
    return Reciprocity(replies=int(replies), answered=int(got_answer))
