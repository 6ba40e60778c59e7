"""Holdouts compared: the same moments with and without the card or nudge.

A share of eligible moments (`experiment_arms.HOLDOUT`) is held back at random: the
card or nudge is not shown, but the moment is recorded all the same. Comparing them
with the moments where it was shown (`SHOWN`) over the dashboard's 30 days tells what
the card or nudge itself did, not what kind of replies get one.

Moments, not members, were randomized, so the moments of each arm are independent
draws from the same members and the difference shown − holdout takes Newcombe's hybrid
score interval (server/services/intervals.py). An arm of fewer than MIN_MEMBERS
different members is never shown, nor any difference with it.

Every share is of the moments drawn (intention to treat), not of the replies written: a
nudge that made someone give up on a reply would otherwise leave only the replies its
author kept, a selection the other arm does not have. A moment counts once it is
settled (its reply followed up, or no reply came within LEAD_UP + AFTER_WINDOW); one
without a reply counts as not answered, not turned away, not hidden, and "a reply was
sent" says how many had one. Whether the words still trip the tone check is of the
replies sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind
from server.services.dashboard import window
from server.services.experiment_arms import HOLDOUT, SHOWN
from server.services.follow_ups import AFTER_WINDOW
from server.services.intervals import Interval, newcombe, verdict, wilson
from server.services.moments import LEAD_UP
from server.services.outcome_figures import MIN_MEMBERS, how_many_true

#: The kinds held out, in the order shown.
HELD_KINDS = (CareKind.card, CareKind.tone_nudge)
#: How each measure is written: (unit, scale) — a share in points, or per 1,000 replies.
SCALES: dict[str, tuple[str, float]] = {
    "sent": ("points", 100.0),
    "answered": ("points", 100.0),
    "turned_away": ("per 1,000 replies", 1000.0),
    "hidden": ("points", 100.0),
    "still_flagged": ("points", 100.0),
    "edited": ("points", 100.0),
    "welcome": ("points", 100.0),
    "volume": ("posts per member a week", 1.0),
}


@dataclass(frozen=True)
class ArmShare:
    """One arm's figure for one measure: `count` of `total` (or a mean, for volume),
    from `members` different members, with its 95 % interval."""

    arm: str
    count: float
    total: int
    members: int
    interval: Interval

    @property
    def shown(self) -> bool:
        return self.members >= MIN_MEMBERS


@dataclass(frozen=True)
class Comparison:
    """One measure in both arms (the treated arm first), and their difference."""

    measure: str
    arms: tuple[ArmShare, ArmShare]
    #: treated − control with its 95 % interval; None while an arm is too few to show.
    difference: Interval | None
    verdict: str

    @property
    def unit(self) -> str:
        return SCALES[self.measure][0]

    @property
    def scale(self) -> float:
        return SCALES[self.measure][1]


def compare(measure: str, treated: ArmShare, control: ArmShare, difference: Interval) -> Comparison:
    """The comparison, with the difference and its verdict only when both arms may be
    shown (a difference next to one shown arm would give the other away)."""
    if not (treated.shown and control.shown):
        return Comparison(measure, (treated, control), None, "")
    unit, scale = SCALES[measure]
    return Comparison(
        measure, (treated, control), difference, verdict(difference, unit=unit, scale=scale)
    )


@dataclass(frozen=True)
class Arm:
    """What one arm of one kind holds over the window."""

    arm: str
    moments: int
    members: int

    @property
    def shown(self) -> bool:
        return self.members >= MIN_MEMBERS


@dataclass(frozen=True)
class KindHoldouts:
    """One kind held out: its two arms (shown, holdout) and each measure compared."""

    kind: str
    shown: Arm
    holdout: Arm
    measures: list[Comparison]

    @property
    def any(self) -> bool:
        return bool(self.shown.moments or self.holdout.moments)


def _members_where(condition: Any) -> Any:
    return func.count(func.distinct(case((condition, col(CareEvent.actor_id)), else_=None)))


def _settled(now: datetime) -> Any:
    """A moment whose reply was followed up, or that had no reply in time for one."""
    return or_(
        col(CareEvent.followed_up_at).is_not(None),
        and_(
            col(CareEvent.reply_id).is_(None),
            col(CareEvent.created_at) <= now - (LEAD_UP + AFTER_WINDOW),
        ),
    )


def _per_arm(start: datetime, now: datetime) -> Any:
    settled = _settled(now)
    return (
        sa_select(
            col(CareEvent.kind),
            col(CareEvent.arm),
            func.count(),
            func.count(func.distinct(CareEvent.actor_id)),
            func.coalesce(func.sum(case((settled, 1), else_=0)), 0),
            _members_where(settled),
            func.count(col(CareEvent.answered)),
            how_many_true(CareEvent.answered),
            how_many_true(CareEvent.turned_away),
            how_many_true(CareEvent.hidden),
            func.count(col(CareEvent.still_flagged)),
            _members_where(col(CareEvent.still_flagged).is_not(None)),
            how_many_true(CareEvent.still_flagged),
        )
        .where(
            col(CareEvent.kind).in_(list(HELD_KINDS)),
            col(CareEvent.arm).in_((HOLDOUT, SHOWN)),
            col(CareEvent.created_at) >= start,
            col(CareEvent.created_at) <= now,
        )
        .group_by(col(CareEvent.kind), col(CareEvent.arm))
    )


def _parts(counts: list[int]) -> dict[str, tuple[int, int, int]]:
    """One arm's row as (count, of, from how many members) per measure."""
    _, _, settled, members, sent, answered, away, hidden, known, known_members, flagged = counts
    return {
        "sent": (sent, settled, members),
        "answered": (answered, settled, members),
        "turned_away": (away, settled, members),
        "hidden": (hidden, settled, members),
        "still_flagged": (flagged, known, known_members),
    }


async def holdouts(session: AsyncSession, now: datetime) -> list[KindHoldouts]:
    """Cards and tone nudges over the 30 UTC days up to `now`, shown against held back:
    one statement."""
    _, start = window(now)
    rows: dict[tuple[str, str], list[int]] = {
        (kind, arm): [int(n) for n in counts]
        for kind, arm, *counts in (await session.exec(_per_arm(start, now))).all()
    }
    found = []
    for kind in HELD_KINDS:
        counts = {arm: rows.get((kind, arm), [0] * 11) for arm in (SHOWN, HOLDOUT)}
        parts = {arm: _parts(counts[arm]) for arm in (SHOWN, HOLDOUT)}
        names = ["sent", "answered", "turned_away", "hidden"]
        if kind == CareKind.tone_nudge:
            names.append("still_flagged")
        measures = []
        for name in names:
            (a, m, a_members), (b, n, b_members) = parts[SHOWN][name], parts[HOLDOUT][name]
            treated = ArmShare(SHOWN, a, m, a_members, wilson(a, m))
            control = ArmShare(HOLDOUT, b, n, b_members, wilson(b, n))
            measures.append(compare(name, treated, control, newcombe(a, m, b, n)))
        shown, held = (Arm(arm, *counts[arm][:2]) for arm in (SHOWN, HOLDOUT))
        found.append(KindHoldouts(kind, shown, held, measures))
    return found
