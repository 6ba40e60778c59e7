"""Norm experiments: an admin tries a norm change on a random half of members for a set
number of days, then adopts it for everyone or drops it.

Each member's arm comes from the experiment's salt (server/services/experiment_arms.py);
members in arm "new" post under the new value while it runs (`Norms.for_member` in
server/services/norms.py), and their pauses are marked with their arm, so the dashboard
can compare the two halves. Starting and deciding are kept in the norms history.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import NormChange, NormExperiment
from server.services import norms
from server.services.errors import Conflict, Invalid, NotFound
from server.services.events import Event, EventKind, announce

#: Only norms applied to each member as they post or reply can be split between members:
#: the pauses, the tone check, the cards and their holdouts are read for the author of
#: the post being written. A norm everyone shares at once (sign-ups, ranking, a thread's
#: slow mode, the rules text) cannot differ between two halves of the same community.
TRIABLE = ("pause.", "cards.", "tone.", "holdouts.")
DAYS = (1, 90)
DEFAULT_DAYS = 14


def triable(name: str) -> bool:
    """Whether norm `name` can be tried on half of members."""
    return name.startswith(TRIABLE)


def _triable_norm(name: str) -> norms.Norm:
    found = norms.norm(name)
    if not triable(name):
        raise Invalid(
            f"{found.label} cannot be tried on half of members: it applies to everyone at "
            "once. Only the pauses, the tone check, the reflective cards and their holdouts "
            "are applied to each member as they post.",
            field="name",
        )
    return found


async def undecided(session: AsyncSession) -> NormExperiment | None:
    """The experiment not yet adopted or dropped (running, or ended and waiting), if any."""
    return (await session.exec(norms.UNDECIDED)).first()


async def get(session: AsyncSession, experiment_id: int) -> NormExperiment:
    """The experiment with this id, or NotFound."""
    found = await session.get(NormExperiment, experiment_id)
    if found is None:
        raise NotFound(f"There is no norm experiment {experiment_id}.")
    return found


def longest_days(in_force: norms.Norms) -> int:
    """The most days an experiment may run here: never past 90, and short enough that its
    moments are still kept (`outcomes.keep_days`) until it can be decided."""
    kept = int(in_force["outcomes.keep_days"]) - norms.EXPERIMENT_MARGIN_DAYS
    return max(0, min(DAYS[1], kept))


def _days(raw: Any) -> int:
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise Invalid("Days must be a whole number, from 1 to 90.", field="days") from None
    if not DAYS[0] <= days <= DAYS[1]:
        raise Invalid(f"An experiment runs from 1 to 90 days, not {days}.", field="days")
    return days


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > 400:  # room for the words saying it is an experiment
        raise Invalid("Keep the reason to one line (400 characters).", field="reason")
    return reason


def _stale(session: AsyncSession) -> None:
    """Every process reads the norms again (server/norms_kept.py), experiment included."""
    announce(session, Event(EventKind.stale, 0, topic="instance"))


async def start(
    session: AsyncSession,
    settings: Settings,
    name: str,
    raw_value: Any,
    *,
    days: Any,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> NormExperiment:
    """Try `raw_value` for norm `name` on a random half of members for `days` days.

    Refused (Invalid, NotFound or Conflict, with a message) for a norm that cannot be
    tried, a value the norm refuses or already in force, days outside 1–90, or while
    another experiment is undecided. Recorded in the norms history.
    """
    found = _triable_norm(name)
    value = found.parse(raw_value)
    length = _days(days)
    reason = _reason(reason)
    other = await undecided(session)
    if other is not None:
        label = norms.BY_NAME[other.name].label if other.name in norms.BY_NAME else other.name
        raise Conflict(
            f"One experiment at a time: “{label}” (experiment {other.id}) is waiting for "
            "its decision. Adopt it or drop it first.",
            field="name",
        )
    in_force = await norms.current(session, settings)
    if length > (longest := longest_days(in_force)):
        raise Invalid(
            f"An experiment can run at most {longest} days here: its moments are kept "
            f"{in_force['outcomes.keep_days']} days (outcomes.keep_days), and the comparison "
            f"needs all of them until {norms.EXPERIMENT_MARGIN_DAYS} days after its end.",
            field="days",
        )
    old = in_force[name]
    if old == value:
        raise Invalid(
            f"{found.label} is already {found.show(value)}: try a different value.",
            field="value",
        )
    experiment = NormExperiment(
        name=name,
        old_value=old,
        new_value=value,
        reason=reason,
        salt=secrets.token_hex(16),
        actor_id=actor_id,
        started_at=now,
        ends_at=now + timedelta(days=length),
    )
    session.add(experiment)
    try:
        await session.flush()
    except IntegrityError:  # another admin's experiment started since the check above
        await session.rollback()
        raise Conflict(
            "Another experiment started just now: adopt it or drop it first.", field="name"
        ) from None
    said = f"Experiment: half of members for {length} {'day' if length == 1 else 'days'}."
    session.add(
        NormChange(
            name=name,
            old_value=old,
            new_value=value,
            reason=f"{said} {reason}".strip(),
            actor_id=actor_id,
            changed_at=now,
            experiment_id=experiment.id,
        )
    )
    _stale(session)
    await session.commit()
    return experiment


async def decide(
    session: AsyncSession,
    settings: Settings,
    experiment_id: int,
    adopt: bool,
    *,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> NormExperiment:
    """Adopt the experiment's value for everyone (a norm change) or drop it (the old
    value stays); either is kept in the norms history. An admin may decide before the
    days are over. Unknown or already decided: NotFound or Conflict."""
    experiment = await get(session, experiment_id)
    reason = _reason(reason)
    decision = "adopted" if adopt else "dropped"
    # Only an undecided experiment is decided: of two admins deciding at once, one wins.
    taken = await session.exec(
        update(NormExperiment)
        .where(col(NormExperiment.id) == experiment_id, col(NormExperiment.decision) == "")
        .values(decision=decision, decided_at=now, undecided=None)
    )
    if not taken.rowcount:  # nothing written: the caller's session stays as it was
        await session.refresh(experiment)
        when = f" on {experiment.decided_at:%d %b %Y}" if experiment.decided_at else ""
        raise Conflict(f"Experiment {experiment_id} was already {experiment.decision}{when}.")
    if adopt:
        await norms.change(
            session,
            settings,
            experiment.name,
            experiment.new_value,
            reason=f"Experiment adopted for everyone. {reason}".strip(),
            actor_id=actor_id,
            now=now,
            experiment_id=experiment_id,
        )
    else:
        old = (await norms.current(session, settings))[experiment.name]
        session.add(
            NormChange(
                name=experiment.name,
                old_value=old,
                new_value=old,
                reason=f"Experiment dropped: the value stays for everyone. {reason}".strip(),
                actor_id=actor_id,
                changed_at=now,
                experiment_id=experiment_id,
            )
        )
    _stale(session)
    await session.commit()  # norms.change commits nothing when the value was in force
    await session.refresh(experiment)
    return experiment
