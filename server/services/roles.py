"""Roles: who may handle reports (moderators and admins) and who may change norms and roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberRole, MemberState
from server.services import audit
from server.services.accounts import Signed, local_member
from server.services.errors import Conflict, Forbidden, Invalid

#: Roles that handle reports, appeals and account actions.
MODERATING = frozenset({MemberRole.moderator, MemberRole.admin})


def can_moderate(member: Member) -> bool:
    """Whether the member handles reports (moderators and admins)."""
    return MemberRole(member.role) in MODERATING and member.state == MemberState.active


def is_admin(member: Member) -> bool:
    """Whether the member may also change norms and roles."""
    return member.role == MemberRole.admin and member.state == MemberState.active


def require_moderator(member: Member) -> None:
    """Forbidden unless the member handles reports."""
    if not can_moderate(member):
        raise Forbidden("Only moderators and admins can do this.")


def require_admin(member: Member) -> None:
    """Forbidden unless the member is an admin."""
    if not is_admin(member):
        raise Forbidden("Only admins can do this.")


async def moderating(session: AsyncSession, actor_id: int | None) -> Member | None:
    """The member behind `actor_id` if they handle reports; Forbidden otherwise. None
    stands for the command line, which may do anything."""
    if actor_id is None:
        return None
    member = (await session.exec(select(Member).where(Member.actor_id == actor_id))).first()
    if member is None or not can_moderate(member):
        raise Forbidden("Only moderators and admins can do this.")
    return member


async def may_act_on(session: AsyncSession, by: Member | None, target_id: int) -> None:
    """Forbidden when a moderator acts on a moderator or an admin: only admins act on the
    people who moderate."""
    if by is None or is_admin(by):
        return
    target = (await session.exec(select(Member).where(Member.actor_id == target_id))).first()
    if target is not None and MemberRole(target.role) in MODERATING:
        raise Forbidden("Only admins can act on moderators and admins.")


def parse_role(raw: str) -> MemberRole:
    """The role named `raw`, or Invalid listing the roles."""
    try:
        return MemberRole(raw.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in MemberRole)
        raise Invalid(f"A role is one of: {names}.", field="role") from None


async def set_role(
    session: AsyncSession,
    username: str,
    role: MemberRole,
    *,
    by_actor_id: int | None,
    now: datetime,
) -> Signed:
    """Make a member a member, moderator or admin (recorded in the audit log); commits.

    The last active admin keeps the role: someone must be able to change norms and roles.
    """
    found = await local_member(session, username)
    before = MemberRole(found.member.role)
    if before == role:
        return found
    if before == MemberRole.admin:
        admins = await session.exec(
            select(func.count())
            .select_from(Member)
            .where(Member.role == MemberRole.admin, Member.state == MemberState.active)
        )
        if int(admins.one()) <= 1:
            raise Conflict(f"@{found.actor.username} is the last admin; make another admin first.")
    found.member.role = role
    session.add(found.member)
    audit.record(
        session,
        actor_id=by_actor_id,
        verb="role.set",
        target_id=found.actor.id,
        detail=f"{before} → {role}",
        now=now,
    )
    await session.commit()
    return found


async def moderators(session: AsyncSession) -> list[Actor]:
    """Active moderators and admins, by username."""
    rows = await session.exec(
        select(Actor)
        .join(Member, col(Member.actor_id) == Actor.id)
        .where(col(Member.role).in_(list(MODERATING)), Member.state == MemberState.active)
        .order_by(func.lower(Actor.username))
    )
    return list(rows.all())
