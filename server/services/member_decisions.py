"""An admin's decisions about members from the members page: approve or reject a
sign-up, suspend or reinstate an account, each with a reason that is kept.

A suspension goes through moderation (server/services/moderation.py), so it is a
decision on record like a moderator's: the member reads it, with the reason, on the
page a suspended member can still open, and may appeal it. Approving, rejecting and
reinstating are recorded in the audit log with their reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import ActionKind, Actor, Member, MemberState, ModerationAction
from server.services import accounts, audit, moderation, sanctions, usernames
from server.services.accounts import Signed
from server.services.errors import Conflict, Forbidden, Invalid, NotFound

MAX_REASON = 1000


@dataclass(frozen=True)
class Decision:
    """One of the decisions, in words for the confirmation page and the result."""

    name: str
    #: The states it can be taken from.
    before: tuple[MemberState, ...]
    after: MemberState
    reason_needed: bool
    done: str
    #: What it does, shown before the admin confirms.
    effect: str


DECISIONS = {
    d.name: d
    for d in (
        Decision(
            "approve",
            (MemberState.pending,),
            MemberState.active,
            False,
            "approved",
            "They can log in and post from now on.",
        ),
        Decision(
            "reject",
            (MemberState.pending,),
            MemberState.rejected,
            True,
            "rejected",
            "They cannot log in; when they try, they are told your reason.",
        ),
        Decision(
            "suspend",
            (MemberState.active,),
            MemberState.suspended,
            True,
            "suspended",
            "They are logged out everywhere, their apps lose access, and their profile and "
            "posts disappear here and elsewhere. When they try to log in they read your "
            "reason and can appeal once.",
        ),
        Decision(
            "reinstate",
            (MemberState.suspended, MemberState.rejected),
            MemberState.active,
            False,
            "reinstated",
            "They can log in again, and their profile and posts come back.",
        ),
    )
}


def decision(name: str) -> Decision:
    """The decision called `name`, or NotFound."""
    if name not in DECISIONS:
        raise NotFound("There is no such decision.")
    return DECISIONS[name]


async def member_named(session: AsyncSession, username: str) -> Signed:
    """The member here called `username`, in any state, or NotFound."""
    row = (
        await session.exec(
            select(Member, Actor)
            .join(Actor, col(Actor.id) == Member.actor_id)
            .where(Actor.acct_key == usernames.normalise(username), col(Actor.domain).is_(None))
        )
    ).first()
    if row is None:
        raise NotFound(f"There is no member called {username}.")
    return Signed(*row)


def check(admin: Signed | None, found: Signed, chosen: Decision) -> None:
    """Forbidden or Conflict when `chosen` cannot be taken about `found` now (`admin`
    None: the command line)."""
    if (
        admin is not None
        and found.actor_id == admin.actor_id
        and chosen.after != MemberState.active
    ):
        raise Forbidden("You cannot suspend or reject yourself.")
    if found.member.state not in chosen.before:
        raise Conflict(
            f"@{found.actor.username} is {found.member.state}: nothing to {chosen.name}."
        )


async def decide(
    session: AsyncSession,
    settings: Settings,
    *,
    admin: Signed | None,
    username: str,
    name: str,
    reason: str,
    now: datetime,
) -> Signed:
    """Take the decision `name` about the member `username`, with `reason`; commits.
    `admin` None: the operator at the command line.

    Reject and suspend need a reason (the member reads it); every decision is recorded
    with its reason, in the audit log and, for a suspension, as a moderation decision.
    """
    chosen = decision(name)
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise Invalid(f"Keep the reason to {MAX_REASON} characters.", field="reason")
    if chosen.reason_needed and not reason:
        raise Invalid(
            "Give a reason: the member reads it, and it goes in the audit log.", field="reason"
        )
    found = await member_named(session, username)
    check(admin, found, chosen)
    if chosen.name == "suspend":
        await moderation.act(
            session,
            settings,
            moderator_id=admin.actor_id if admin else None,
            target_id=found.actor_id,
            kind=ActionKind.suspend,
            reason=reason,
            now=now,
        )
        return await member_named(session, username)
    audit.record(
        session,
        actor_id=admin.actor_id if admin else None,
        verb=f"member.{chosen.name}",
        target_id=found.actor_id,
        detail=reason,
        now=now,
    )
    standing = await _standing_suspension(session, found.actor_id)
    if chosen.name == "reinstate" and standing is not None:
        await sanctions.lift(session, standing, now)  # commits, with the entry above
        return await member_named(session, username)
    return await accounts.set_state(session, found.actor.username, chosen.after, now)


async def _standing_suspension(session: AsyncSession, actor_id: int) -> ModerationAction | None:
    rows = await session.exec(
        select(ModerationAction)
        .where(
            ModerationAction.target_id == actor_id,
            ModerationAction.kind == ActionKind.suspend,
            col(ModerationAction.lifted_at).is_(None),
        )
        .order_by(col(ModerationAction.id).desc())
        .limit(1)
    )
    return rows.first()
