"""Who a browser's session cookie speaks for: the member behind a live web session."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState, WebSession
from server.services import sessions
from server.services.accounts import Signed
from server.services.grant_cache import GrantCache

#: Built once: every page a member opens starts with it. The session's row is joined in,
#: so a session ended anywhere (logout, another device, suspension) ends here too.
SESSION_MEMBER = (
    select(Member, Actor, WebSession)
    .join(Actor, col(Actor.id) == Member.actor_id)
    .join(WebSession, col(WebSession.member_id) == Member.id)
    .where(WebSession.key_hash == bindparam("key"))
)


async def member_for_session(
    session: AsyncSession, key: str, now: datetime, kept: GrantCache | None = None
) -> Signed | None:
    """The active member whose live session the cookie's key names, or None (with `kept`,
    a session read moments ago comes from memory: server/services/grant_cache.py)."""
    hashed = sessions.digest(key)
    name, generation = "session:" + hashed, kept.generation if kept is not None else 0
    row = kept.get(session, name, now) if kept is not None else None
    found = row or (await session.exec(SESSION_MEMBER, params={"key": hashed})).first()
    if found is None:
        return None
    member, actor, web_session = cast(tuple[Member, Actor, WebSession], tuple(found))
    if member.state != MemberState.active or web_session.last_seen_at < now - sessions.LIFETIME:
        return None
    await sessions.seen(session, web_session, now)
    if row is None and kept is not None:
        kept.put(name, generation, (member, actor, web_session), now)
    return Signed(member, actor)
