"""Web sessions kept on the server: start at login, end at logout, listed for the member.

The session cookie holds only a random key; the row it names says whose session it is.
So ending a session (logging out, ending it from the sessions page, a new password, a
suspension) works at once wherever the cookie has been copied, which a cookie signed
and trusted on its own could not do.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import WebSession
from server.services.grant_cache import KEEPS_GRANTS

#: A session nobody used for this long ends (the cookie lasts as long).
LIFETIME = timedelta(days=30)
#: last_seen_at is written at most this often per session, not on every page.
SEEN_RESOLUTION = timedelta(minutes=5)
MAX_USER_AGENT = 300
MAX_IP = 64


def digest(key: str) -> str:
    """The stored form of a session key."""
    return hashlib.sha256(key.encode()).hexdigest()


async def start(
    session: AsyncSession, member_id: int, *, user_agent: str, ip: str, now: datetime
) -> str:
    """A new session for the member; returns the key for the cookie (shown only once)."""
    key = secrets.token_urlsafe(32)
    # The member's sessions that ran out go now, so the table holds only live ones.
    # They were nobody's grant any more (member_for_session refuses them): kept grants stay.
    await session.exec(
        delete(WebSession)
        .where(
            col(WebSession.member_id) == member_id, col(WebSession.last_seen_at) < now - LIFETIME
        )
        .execution_options(**{KEEPS_GRANTS: True})
    )
    session.add(
        WebSession(
            key_hash=digest(key),
            member_id=member_id,
            created_at=now,
            last_seen_at=now,
            user_agent=" ".join(user_agent.split())[:MAX_USER_AGENT],
            ip=ip[:MAX_IP],
        )
    )
    await session.commit()
    return key


async def seen(session: AsyncSession, row: WebSession, now: datetime) -> None:
    """Note that the session was used, at most every SEEN_RESOLUTION."""
    if now - row.last_seen_at < SEEN_RESOLUTION:
        return
    await session.exec(
        update(WebSession).where(col(WebSession.id) == row.id).values(last_seen_at=now)
    )
    await session.commit()
    row.last_seen_at = now


async def end(session: AsyncSession, key: str) -> None:
    """End the session with this key (logging out); nothing happens if it ended already."""
    await session.exec(delete(WebSession).where(col(WebSession.key_hash) == digest(key)))
    await session.commit()


async def end_one(session: AsyncSession, member_id: int, session_id: int) -> bool:
    """The member ends one of their own sessions; False if it was not theirs or is gone."""
    result = await session.exec(
        delete(WebSession).where(
            col(WebSession.id) == session_id, col(WebSession.member_id) == member_id
        )
    )
    await session.commit()
    return bool(result.rowcount)


async def end_others(session: AsyncSession, member_id: int, keep_key: str | None) -> int:
    """End every session of the member's but the one with `keep_key`, in the caller's
    transaction (the caller commits); returns how many ended."""
    query = delete(WebSession).where(col(WebSession.member_id) == member_id)
    if keep_key is not None:
        query = query.where(col(WebSession.key_hash) != digest(keep_key))
    result = await session.exec(query)
    return int(result.rowcount or 0)


async def of_member(session: AsyncSession, member_id: int, now: datetime) -> list[WebSession]:
    """The member's live sessions, the most recently used first."""
    rows = await session.exec(
        select(WebSession)
        .where(WebSession.member_id == member_id, WebSession.last_seen_at >= now - LIFETIME)
        .order_by(col(WebSession.last_seen_at).desc(), col(WebSession.id).desc())
    )
    return list(rows.all())
