"""What a suspended member may still do: read why, and appeal. Nothing else.

Their password proves who they are; it opens no session (sessions.py), only the page of
decisions about them, so a suspension keeps them out of everything else.
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState, ModerationAction
from server.services import passwords
from server.services.accounts import Signed


async def suspended_member(session: AsyncSession, *, login: str, password: str) -> Signed | None:
    """The suspended member with this username or email and password, when moderators
    decided something about them that they can read; None otherwise (anyone else, a
    wrong password, a member not suspended, or suspended by an admin with no decision
    on record: they are told only that the account is suspended)."""
    login = login.strip().lstrip("@").lower()
    query = select(Member, Actor).join(Actor, col(Actor.id) == Member.actor_id)
    query = query.where(Member.email == login if "@" in login else Actor.acct_key == login)
    row = (await session.exec(query)).first()
    if row is None or row[0].state != MemberState.suspended:
        return None
    member, actor = row
    decided = await session.exec(
        select(ModerationAction.id).where(ModerationAction.target_id == actor.id).limit(1)
    )
    if decided.first() is None:
        return None
    # Argon2 is slow on purpose: off the event loop, as logging in does.
    if not await asyncio.to_thread(passwords.verify_password, member.password_hash, password):
        return None
    return Signed(member, actor)
