"""Norm experiments compared: members on the new value against members on the old.

A norm experiment (server/models/norms.py, NormExperiment) gives a norm's new value to a
random half of members (`experiment_arms.arm_of`); their pauses are labelled with their
arm ("x12:new", "x12:old"). The measures were declared before any experiment ran:

- answered: replies answered within 48 hours by the person replied to;
- welcome: "Was this reply welcome?" answered yes, about the arm's replies;
- turned_away: replies after which the replier was blocked, muted or reported within
  7 days, per 1,000 replies;
- edited: pauses ended with the post edited during the pause;
- volume: posts and replies per member a week (a guardrail: a norm that makes people
  write less is not a kinder norm), every local member in their arm, zeros included.

Members, not replies, were randomized, and replies of one member are alike (some are
answered far more than others), so the replies of an arm are not independent draws.
Shares therefore use `intervals.clustered_share` (a Wilson interval on the
cluster-robust effective sample size) and differences `intervals.clustered_difference`
(Newcombe's square-and-add of those); volume, one value per member, uses Welch's
interval. All arithmetic, no resampling: a page load stays a few milliseconds
(tests/bench/bench_outcomes.py measures it and checks the coverage).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    CareEvent,
    CareKind,
    Member,
    MemberState,
    NormExperiment,
    Post,
    PostState,
    ReplyWelcome,
)
from server.services.arm_figures import ArmShare, Comparison, compare
from server.services.experiment_arms import ARMS, arm_of, label, prefix
from server.services.intervals import (
    Interval,
    clustered_difference,
    clustered_share,
    mean_interval,
    welch,
)
from server.services.outcome_figures import how_many, how_many_true

#: Experiments decided this recently are still shown.
RECENT = timedelta(days=30)
#: At most this many experiments, newest first.
SHOWN_AT_MOST = 3
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ExperimentFigures:
    experiment: NormExperiment
    #: running, ended (waiting for an admin), adopted, dropped.
    status: str
    days_left: int
    #: Local members in each arm (new, old).
    members: tuple[int, int]
    measures: list[Comparison]


def status(experiment: NormExperiment, now: datetime) -> str:
    if experiment.decision:
        return experiment.decision
    return "running" if now < experiment.ends_at else "ended"


async def recent(session: AsyncSession, now: datetime) -> list[NormExperiment]:
    """Experiments running, waiting for a decision, or decided in the last 30 days."""
    rows = await session.exec(
        select(NormExperiment)
        .where(
            col(NormExperiment.started_at) <= now,
            or_(col(NormExperiment.decision) == "", col(NormExperiment.decided_at) >= now - RECENT),
        )
        .order_by(col(NormExperiment.started_at).desc(), col(NormExperiment.id).desc())
        .limit(SHOWN_AT_MOST)
    )
    return list(rows.all())


def _pauses(experiment_id: int) -> Any:
    """Per member and arm: pauses ended, edited; replies followed up, answered, turned away."""
    return (
        sa_select(
            col(CareEvent.actor_id),
            col(CareEvent.arm),
            how_many(col(CareEvent.outcome) != ""),
            how_many(col(CareEvent.outcome) == "edited"),
            func.count(col(CareEvent.answered)),
            how_many_true(CareEvent.answered),
            how_many_true(CareEvent.turned_away),
        )
        .where(
            col(CareEvent.kind) == CareKind.pause,
            col(CareEvent.arm).startswith(prefix(experiment_id)),
        )
        .group_by(col(CareEvent.actor_id), col(CareEvent.arm))
    )


def _answerers(experiment_id: int) -> Any:
    """Per arm: how many different members gave welcome answers. Their answers are
    private, so an arm is shown only when both its repliers and its answerers reach the
    floor (a share from one or two answerers would give their answers away)."""
    return (
        sa_select(col(CareEvent.arm), func.count(func.distinct(ReplyWelcome.actor_id)))
        .select_from(CareEvent)
        .join(ReplyWelcome, col(ReplyWelcome.post_id) == col(CareEvent.reply_id))
        .where(
            col(CareEvent.kind) == CareKind.pause,
            col(CareEvent.arm).startswith(prefix(experiment_id)),
        )
        .group_by(col(CareEvent.arm))
    )


def _welcomes(experiment_id: int) -> Any:
    """Per replier and arm: welcome answers about their replies, and how many said yes."""
    return (
        sa_select(
            col(CareEvent.actor_id),
            col(CareEvent.arm),
            func.count(),
            how_many_true(ReplyWelcome.welcome),
        )
        .select_from(CareEvent)
        .join(ReplyWelcome, col(ReplyWelcome.post_id) == col(CareEvent.reply_id))
        .where(
            col(CareEvent.kind) == CareKind.pause,
            col(CareEvent.arm).startswith(prefix(experiment_id)),
        )
        .group_by(col(CareEvent.actor_id), col(CareEvent.arm))
    )


def _volume(start: datetime, end: datetime) -> Any:
    """Every member with how many posts and replies they published in [start, end)."""
    published = and_(
        col(Post.actor_id) == col(Actor.id),
        col(Post.state) == PostState.published,
        col(Post.published_at) >= start,
        col(Post.published_at) < end,
    )
    # Members in good standing who had joined before it ended: not applicants, nor the
    # rejected or suspended, nor anyone who came after.
    return (
        sa_select(col(Actor.id), func.count(col(Post.id)))
        .select_from(Actor)
        .join(Member, col(Member.actor_id) == col(Actor.id))
        .outerjoin(Post, published)
        .where(
            col(Actor.domain).is_(None),
            col(Member.state) == MemberState.active,
            col(Member.created_at) < end,
        )
        .group_by(col(Actor.id))
    )


def _shares(
    measure: str,
    groups: dict[str, list[tuple[int, int]]],
    names: tuple[str, str],
    floor: dict[str, int] | None = None,
) -> Comparison:
    """One share measure from each arm's (successes, trials) per member; `floor`: a
    second head-count per arm that must reach the floor too (who answered)."""
    parts = []
    for name in names:
        found = [(y, n) for y, n in groups[name] if n > 0]
        members = len(found) if floor is None else min(len(found), floor.get(name, 0))
        parts.append(
            ArmShare(
                name,
                sum(y for y, _ in found),
                sum(n for _, n in found),
                members,
                clustered_share(found),
            )
        )
    treated, control = parts
    return compare(
        measure, treated, control, clustered_difference(groups[names[0]], groups[names[1]])
    )


def _means(values: dict[str, list[float]], names: tuple[str, str]) -> Comparison:
    parts = []
    for name in names:
        found = values[name]
        spread = mean_interval(found) if len(found) >= 2 else Interval(0.0, 0.0, 0.0)
        parts.append(ArmShare(name, spread.estimate, len(found), len(found), spread))
    treated, control = parts
    if len(values[names[0]]) >= 2 and len(values[names[1]]) >= 2:
        difference = welch(values[names[0]], values[names[1]])
    else:
        difference = Interval(0.0, 0.0, 0.0)
    return compare("volume", treated, control, difference)


async def experiment_figures(
    session: AsyncSession, experiment: NormExperiment, now: datetime
) -> ExperimentFigures:
    """Both arms of one experiment on every measure: four statements."""
    assert experiment.id is not None
    labels = {label(experiment.id, arm): arm for arm in ARMS}
    names: tuple[str, str] = ARMS
    measures: dict[str, dict[str, list[tuple[int, int]]]] = {
        m: defaultdict(list) for m in ("answered", "welcome", "turned_away", "edited")
    }
    for _, arm, ended, edited, followed, answered, away in (
        await session.exec(_pauses(experiment.id))
    ).all():
        if arm not in labels:
            continue
        name = labels[arm]
        measures["answered"][name].append((int(answered), int(followed)))
        measures["turned_away"][name].append((int(away), int(followed)))
        measures["edited"][name].append((int(edited), int(ended)))
    for _, arm, answers, yes in (await session.exec(_welcomes(experiment.id))).all():
        if arm in labels:
            measures["welcome"][labels[arm]].append((int(yes), int(answers)))
    start = experiment.started_at
    end = min(now, experiment.ends_at)
    weeks = max(end - start, timedelta(days=1)) / WEEK
    volume: dict[str, list[float]] = {name: [] for name in names}
    for actor_id, posts in (await session.exec(_volume(start, end))).all():
        volume[arm_of(experiment.salt, actor_id)].append(int(posts) / weeks)
    answerers: dict[str, int] = {
        labels[arm]: int(n)
        for arm, n in (await session.exec(_answerers(experiment.id))).all()
        if arm in labels
    }
    compared = [
        _shares(m, measures[m], names, answerers if m == "welcome" else None)
        for m in ("answered", "welcome", "turned_away", "edited")
    ]
    compared.append(_means(volume, names))
    left = math.ceil((experiment.ends_at - now) / timedelta(days=1))
    return ExperimentFigures(
        experiment=experiment,
        status=status(experiment, now),
        days_left=max(0, left),
        members=(len(volume["new"]), len(volume["old"])),
        measures=compared,
    )


async def experiments(session: AsyncSession, now: datetime) -> list[ExperimentFigures]:
    """The recent experiments (running, waiting, decided in the last 30 days), compared."""
    return [await experiment_figures(session, e, now) for e in await recent(session, now)]
