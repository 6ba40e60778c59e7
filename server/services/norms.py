"""The norms in force: reading them, changing them, and their history.

What each norm is (name, kind, range, default, help) is data in
server/services/norms_registry.py; each consumer builds its own settings from the values
read here. Admins change norms from the norms console or `porch norms set`; each change is
kept with who made it, when and why, and takes effect at once (norms are read per request,
not at start). The few norms that were settings before (pauses, budgets, post length,
sign-ups) default to their PORCH_* setting, so an instance set up through the environment
keeps its values until an admin changes them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import NormChange, NormExperiment, NormValue
from server.services import experiment_arms, intent_rules, ranking, signal_upkeep, thread_sums
from server.services.errors import Conflict, Invalid, NotFound
from server.services.events import Event, EventKind, announce
from server.services.norm_settings import in_force
from server.services.norms_registry import BY_NAME, REGISTRY, Norm, RegistrationMode

__all__ = [
    "BY_NAME",
    "REGISTRY",
    "Norm",
    "Norms",
    "Trial",
    "change",
    "current",
    "history",
    "norm",
]


def norm(name: str) -> Norm:
    """The registry's entry for `name`, or NotFound."""
    found = BY_NAME.get(name)
    if found is None:
        raise NotFound(f"There is no norm called {name}.")
    return found


@dataclass(frozen=True)
class Trial:
    """The undecided norm experiment, as the norms carry it (a copy of its row: the norms
    are kept in memory across requests, server/norms_kept.py)."""

    id: int
    name: str
    new_value: Any
    salt: str
    started_at: datetime
    ends_at: datetime

    def runs_at(self, now: datetime) -> bool:
        """Whether members are split at `now` (before ends_at, everyone has the old value
        until an admin decides)."""
        return self.started_at <= now < self.ends_at


@dataclass(frozen=True)
class Norms:
    """The norms in force, read once for a request."""

    values: Mapping[str, Any]
    changed: frozenset[str]
    #: The norm experiment not yet adopted or dropped, if any.
    experiment: Trial | None = None
    #: This member's arm label while the experiment runs ("x12:new"), from `for_member`;
    #: "" for the norms in force for everyone.
    arm: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def for_member(self, actor_id: int, now: datetime) -> Norms:
        """The norms this member posts under at `now`: the experiment's new value when
        it runs and their arm is "new", the value in force otherwise."""
        trial = self.experiment
        if trial is None or not trial.runs_at(now):
            return self if not self.arm else replace(self, arm="")
        arm = experiment_arms.arm_of(trial.salt, actor_id)
        label = experiment_arms.label(trial.id, arm)
        if arm == "old":
            return replace(self, arm=label)
        return replace(self, values={**self.values, trial.name: trial.new_value}, arm=label)

    @property
    def registration_mode(self) -> RegistrationMode:
        return RegistrationMode(self["registrations.mode"])


#: After an experiment's last day: a week for its last replies' follow-ups, and a week
#: for the admins to read the comparison and decide, with none of its moments folded.
EXPERIMENT_MARGIN_DAYS = 14


def needs_kept(trial: Trial) -> int:
    """How many days an experiment needs its moments kept (`outcomes.keep_days`)."""
    return (trial.ends_at - trial.started_at).days + EXPERIMENT_MARGIN_DAYS


#: Built once: every request reads the norms in force.
STORED = select(NormValue)
#: At most one experiment is undecided at a time (server/services/experiments.py).
UNDECIDED = (
    select(NormExperiment)
    .where(col(NormExperiment.decision) == "")
    .order_by(col(NormExperiment.id))
    .limit(1)
)


async def current(session: AsyncSession, settings: Settings) -> Norms:
    """Every norm's value now: the admins' where they set one, the default elsewhere;
    with the undecided norm experiment, if there is one."""
    defaults = {n.name: n.default_for(settings) for n in REGISTRY}
    rows = (await session.exec(STORED)).all()
    values, changed = in_force(((row.name, row.value) for row in rows), defaults)
    return Norms(values, changed, _trial((await session.exec(UNDECIDED)).first()))


def _trial(row: NormExperiment | None) -> Trial | None:
    if row is None or row.id is None or row.name not in BY_NAME:
        return None
    try:
        new_value = BY_NAME[row.name].parse(row.new_value)
    except Invalid:  # a range a later version narrowed: nobody gets it
        return None
    return Trial(row.id, row.name, new_value, row.salt, row.started_at, row.ends_at)


async def change(
    session: AsyncSession,
    settings: Settings,
    name: str,
    raw: Any,
    *,
    reason: str,
    actor_id: int | None,
    now: datetime,
    experiment_id: int | None = None,
) -> Any:
    """Set a norm, recording who changed it, when, from what, and why.

    Invalid values are refused with a message and the old value stays. A norm tried in
    an undecided experiment changes only by adopting it (`experiment_id`, from
    server/services/experiments.py), so both arms keep the values they were told.
    """
    found = norm(name)
    value = found.parse(raw)
    if name == "intents.rules":
        await _rules_name_intents(session, settings, value)
    reason = " ".join(reason.split())
    if len(reason) > 500:
        raise Invalid("Keep the reason to one line (500 characters).", field="reason")
    in_force_now = await current(session, settings)
    trial = in_force_now.experiment
    if trial is not None and trial.name == name and trial.id != experiment_id:
        raise Conflict(
            f"{found.label} is being tried on half of members (experiment {trial.id}): "
            "adopt it or drop it before changing it for everyone.",
            field=name,
        )
    if trial is not None and name == "outcomes.keep_days" and value < needs_kept(trial):
        raise Conflict(
            f"Experiment {trial.id} needs its moments kept {needs_kept(trial)} days; "
            "decide on it before keeping them for less.",
            field=name,
        )
    old = in_force_now[name]
    if old == value:
        return value
    row = await session.get(NormValue, name)
    if row is None:
        row = NormValue(name=name, value=value, updated_at=now)
    else:
        row.value, row.updated_at = value, now
    session.add(row)
    session.add(
        NormChange(
            name=name,
            old_value=old,
            new_value=value,
            reason=reason,
            actor_id=actor_id,
            changed_at=now,
            experiment_id=experiment_id,
        )
    )
    # NodeInfo shows the norms.
    announce(session, Event(EventKind.stale, 0, topic="instance"))
    await session.commit()
    if name in thread_sums.SIGNAL_NORMS:
        # Threads recent enough to rank are summed again at once; older ones need no hurry.
        updated = await current(session, settings)
        await signal_upkeep.resum_since(
            session,
            now - ranking.weights(updated).window,
            thread_sums.thresholds_from(updated),
        )
    return value


async def _rules_name_intents(session: AsyncSession, settings: Settings, value: Any) -> None:
    """Intents' rules name intents in the list and presets: refused otherwise, naming
    the line. (A list that later drops an intent leaves its rules unused, not broken.)"""
    intent_rules.parse(value, (await current(session, settings))["intents.list"])


async def restore_defaults(
    session: AsyncSession, settings: Settings, *, reason: str, actor_id: int | None, now: datetime
) -> list[str]:
    """Put every norm back to its default (each change recorded); returns the names."""
    restored = []
    for item in REGISTRY:
        found = await current(session, settings)
        before = found[item.name]
        default = item.default_for(settings)
        if found.experiment and found.experiment.name == item.name:
            continue  # tried in an experiment: adopted or dropped, not restored under it
        if before != default:
            await change(
                session, settings, item.name, default, reason=reason, actor_id=actor_id, now=now
            )
            restored.append(item.name)
    return restored


async def history(session: AsyncSession, limit: int = 200, *, prefix: str = "") -> list[NormChange]:
    """Changes to the norms (those whose names start with `prefix`), newest first."""
    query = select(NormChange).order_by(col(NormChange.id).desc()).limit(limit)
    if prefix:
        query = query.where(col(NormChange.name).startswith(prefix))
    rows = await session.exec(query)
    return list(rows.all())
