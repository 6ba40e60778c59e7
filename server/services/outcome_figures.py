"""What the care led to over the last 30 days, with 95 % intervals, for the dashboard.

Per kind of moment: the share of each outcome (edited, withdrawn, posted as written…),
and for replies what followed (answered within 48 hours; blocked, muted or reported
within 7 days; the thread slowed; the reply hidden; a nudged reply still harsh). Every
share carries its Wilson interval (server/services/intervals.py). A group of fewer
than MIN_MEMBERS different members is never shown: with so few, a share could point at
someone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind, ReplyWelcome
from server.services.dashboard import window
from server.services.experiment_arms import HOLDOUT
from server.services.intervals import Interval, wilson

#: Groups of fewer different members than this are "too few to show".
MIN_MEMBERS = 10
#: The kinds shown, in order, with the outcomes each can have ("" is not known yet).
KINDS: dict[str, tuple[str, ...]] = {
    CareKind.pause: ("edited", "withdrawn", "reposted", "discarded", "as_written", ""),
    CareKind.tone_nudge: ("rephrased", "draft", "as_written", ""),
    CareKind.card: ("didnt_fit", ""),
}
#: What followed a reply, in the order shown.
FOLLOW_UPS = ("answered", "turned_away", "slowed", "hidden", "still_flagged")


@dataclass(frozen=True)
class Part:
    """`count` of `total`, with the share's 95 % interval."""

    name: str
    count: int
    total: int
    interval: Interval


@dataclass(frozen=True)
class KindFigures:
    kind: str
    events: int
    members: int
    outcomes: list[Part]
    #: Replies followed up (their windows passed), by how many different repliers.
    followed: int
    followed_members: int
    follow_ups: list[Part]

    @property
    def shown(self) -> bool:
        return self.members >= MIN_MEMBERS

    @property
    def follow_ups_shown(self) -> bool:
        return self.followed_members >= MIN_MEMBERS


@dataclass(frozen=True)
class WelcomeFigures:
    answers: int
    members: int
    welcome: Part

    @property
    def shown(self) -> bool:
        return self.members >= MIN_MEMBERS


@dataclass(frozen=True)
class OutcomeFigures:
    kinds: list[KindFigures]
    welcome: WelcomeFigures


def part(name: str, count: int, total: int) -> Part:
    return Part(name, count, total, wilson(count, total))


def how_many(condition: Any) -> Any:
    """SQL: how many rows of the group meet `condition` (0, not NULL, for none). The one
    counter of the care figures (outcomes, holdouts, experiments, daily folds)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def how_many_true(column: Any) -> Any:
    """SQL: how many rows of the group have `column` true (unknown counts as not)."""
    return how_many(col(column).is_(True))


def _known(column: Any) -> Any:
    return func.count(col(column))


def _counted(start: datetime, now: datetime) -> tuple[Any, ...]:
    """Moments of the window where the care was there: a card or nudge held back at
    random (a holdout, server/services/arm_figures.py) has no answer and led to nothing."""
    return (
        col(CareEvent.created_at) >= start,
        col(CareEvent.created_at) <= now,
        col(CareEvent.arm) != HOLDOUT,
    )


def _per_kind(start: datetime, now: datetime) -> Any:
    followed = col(CareEvent.answered).is_not(None)
    return (
        sa_select(
            col(CareEvent.kind),
            func.count(),
            func.count(func.distinct(CareEvent.actor_id)),
            func.count(func.distinct(case((followed, col(CareEvent.actor_id)), else_=None))),
            _known(CareEvent.answered),
            *(how_many_true(getattr(CareEvent, name)) for name in FOLLOW_UPS),
            _known(CareEvent.still_flagged),
        )
        .where(col(CareEvent.kind).in_(list(KINDS)), *_counted(start, now))
        .group_by(col(CareEvent.kind))
    )


async def figures(session: AsyncSession, now: datetime) -> OutcomeFigures:
    """The outcomes and follow-ups of the 30 UTC days up to `now`: three statements."""
    _, start = window(now)
    in_window = _counted(start, now)
    outcomes: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    rows = await session.exec(
        select(CareEvent.kind, CareEvent.outcome, func.count())
        .where(col(CareEvent.kind).in_(list(KINDS)), *in_window)
        .group_by(col(CareEvent.kind), col(CareEvent.outcome))
    )
    for kind, outcome, n in rows.all():
        outcomes[kind][outcome] = int(n)
    totals = {
        row[0]: [int(n) for n in row[1:]]
        for row in (await session.exec(_per_kind(start, now))).all()
    }
    kinds = []
    for kind, names in KINDS.items():
        events, members, followed_members, followed, *counts, flagged_known = totals.get(
            kind, [0] * 10
        )
        found = outcomes[kind]
        names = names + tuple(sorted(set(found) - set(names)))
        follow_ups = [
            part(n, c, followed) for n, c in zip(FOLLOW_UPS[:-1], counts[:-1], strict=True)
        ]
        if kind == CareKind.tone_nudge:
            follow_ups.append(part("still_flagged", counts[-1], flagged_known))
        kinds.append(
            KindFigures(
                kind=kind,
                events=events,
                members=members,
                outcomes=[part(n, found.get(n, 0), events) for n in names],
                followed=followed,
                followed_members=followed_members,
                follow_ups=follow_ups,
            )
        )
    answered_in_window = (
        col(ReplyWelcome.answered_at) >= start,
        col(ReplyWelcome.answered_at) <= now,
    )
    answers, members, yes = (
        await session.exec(
            select(
                func.count(),
                func.count(func.distinct(ReplyWelcome.actor_id)),
                how_many_true(ReplyWelcome.welcome),
            ).where(*answered_in_window)
        )
    ).one()
    welcome = WelcomeFigures(int(answers), int(members), part("yes", int(yes), int(answers)))
    return OutcomeFigures(kinds, welcome)
