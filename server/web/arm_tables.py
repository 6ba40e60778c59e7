"""The "Holdouts: with and without" and "Experiments" tables, in words: each arm's figure
with its 95 % interval, the difference with its interval, and the verdict; "too few to
show" for an arm under the members' floor. Shared by the dashboard and /about/health."""

from __future__ import annotations

from dataclasses import dataclass

from server.services.arm_figures import ArmShare, Comparison, KindHoldouts
from server.services.experiment_figures import ExperimentFigures
from server.services.intervals import signed
from server.services.norms_registry import BY_NAME
from server.services.outcome_figures import MIN_MEMBERS

KIND_WORDS = {"card": "Cards", "tone_nudge": "Tone nudges"}
MEASURE_WORDS = {
    "sent": "a reply was sent",
    "answered": "answered within 48 hours by the person replied to",
    "turned_away": "replier blocked, muted or reported within 7 days",
    "hidden": "hidden by the thread's author",
    "still_flagged": "still trips the tone check as posted",
    "edited": "pauses that ended with the post edited",
    "welcome": "replies the person replied to called welcome",
    "volume": "posts and replies per member a week (guardrail)",
}
TOO_FEW = "too few to show"
STATUS_WORDS = {
    "running": "Running",
    "ended": "Ended: waiting for an admin to adopt or drop it",
    "adopted": "Adopted",
    "dropped": "Dropped",
}


@dataclass(frozen=True)
class ArmTable:
    """One comparison table: a heading, sentences above it, the two arms' names, and rows
    of (measure, first arm, second arm, difference, verdict)."""

    id: str
    heading: str
    summary: list[str]
    arms: tuple[str, str]
    rows: list[tuple[str, str, str, str, str]]


def figure(found: ArmShare, comparison: Comparison) -> str:
    """One arm's figure with its interval, and what it is of: "75% (60–86%), 30 of 40"."""
    if not found.shown:
        return TOO_FEW
    if comparison.measure == "volume":
        low, high = max(0.0, found.interval.low), found.interval.high
        return f"{found.interval.estimate:.1f} ({low:.1f}–{high:.1f}), {found.members} members"
    if comparison.scale == 1000:
        estimate, low, high = (round(1000 * v) for v in _limits(found))
        return f"{estimate} per 1,000 ({low}–{high}), {found.count:g} of {found.total}"
    estimate, low, high = (round(100 * v) for v in _limits(found))
    return f"{estimate}% ({low}–{high}%), {found.count:g} of {found.total}"


def _limits(found: ArmShare) -> tuple[float, float, float]:
    return found.interval.estimate, found.interval.low, found.interval.high


def difference(comparison: Comparison) -> str:
    """ "+10.0 points (+2.1 to +17.9)", or a dash while an arm is too few."""
    found = comparison.difference
    if found is None:
        return "—"
    scale = comparison.scale
    return (
        f"{signed(found.estimate * scale)} {comparison.unit} "
        f"({signed(found.low * scale)} to {signed(found.high * scale)})"
    )


def _row(comparison: Comparison) -> tuple[str, str, str, str, str]:
    first, second = comparison.arms
    said = comparison.verdict or f"Not compared: an arm has fewer than {MIN_MEMBERS} members."
    return (
        MEASURE_WORDS.get(comparison.measure, comparison.measure),
        figure(first, comparison),
        figure(second, comparison),
        difference(comparison),
        said,
    )


def holdout_tables(found: list[KindHoldouts]) -> list[ArmTable]:
    """One table per kind held out, shown against held back."""
    tables = []
    for kind in found:
        name = KIND_WORDS.get(kind.kind, kind.kind)
        if not kind.any:
            summary = [f"No {name.lower()} were held back in these 30 days."]
            tables.append(ArmTable(f"holdouts-{kind.kind}", name, summary, ("", ""), []))
            continue
        summary = [
            f"Shown: {_moments(kind.shown.moments, kind.shown.members)}; "
            f"held back: {_moments(kind.holdout.moments, kind.holdout.members)}."
        ]
        rows = [_row(c) for c in kind.measures]
        tables.append(
            ArmTable(f"holdouts-{kind.kind}", name, summary, ("Shown", "Held back"), rows)
        )
    return tables


def _moments(moments: int, members: int) -> str:
    if members < MIN_MEMBERS:
        return f"{TOO_FEW} (fewer than {MIN_MEMBERS} members)"
    return f"{moments} moments from {members} members"


def _head_count(members: int) -> str:
    return str(members) if members >= MIN_MEMBERS else f"fewer than {MIN_MEMBERS}"


def value(name: str, stored: object) -> str:
    """A norm's value as the norms console writes it, with its unit."""
    norm = BY_NAME.get(name)
    return norm.said(stored) if norm is not None else str(stored)


def experiment_tables(found: list[ExperimentFigures]) -> list[ArmTable]:
    """One table per recent experiment, the new value against the old."""
    tables = []
    for figures in found:
        experiment = figures.experiment
        norm = BY_NAME.get(experiment.name)
        title = norm.label if norm is not None else experiment.name
        change = (
            f"{value(experiment.name, experiment.old_value)} → "
            f"{value(experiment.name, experiment.new_value)}"
        )
        state = STATUS_WORDS.get(figures.status, figures.status)
        if figures.status == "running":
            state += f": {figures.days_left} {'day' if figures.days_left == 1 else 'days'} left"
        new, old = (_head_count(n) for n in figures.members)
        summary = [
            f"{state}. The norm {experiment.name}, started {experiment.started_at:%-d %b %Y}; "
            f"members on the new value: {new}, on the old: {old}."
        ]
        rows = [_row(c) for c in figures.measures]
        tables.append(
            ArmTable(
                f"experiment-{experiment.id}",
                f"{title}: {change}",
                summary,
                ("New value", "Old value"),
                rows,
            )
        )
    return tables
