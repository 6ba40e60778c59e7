"""Bookmarks: posts a member keeps for later, seen only by them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Bookmark
from server.services import paging
from server.services.paging import Window
from server.services.post_reads import get_visible
from server.services.rows import insert_once


async def add(session: AsyncSession, actor_id: int, post_id: int, now: datetime) -> None:
    """Bookmark a post the member can see; twice is once."""
    await get_visible(session, actor_id, post_id)
    await session.exec(
        insert_once(session, Bookmark, actor_id=actor_id, post_id=post_id, created_at=now)
    )
    await session.commit()


async def remove(session: AsyncSession, actor_id: int, post_id: int) -> None:
    await session.exec(
        delete(Bookmark).where(col(Bookmark.actor_id) == actor_id, col(Bookmark.post_id) == post_id)
    )
    await session.commit()


async def among(session: AsyncSession, actor_id: int, post_ids: Collection[int]) -> set[int]:
    """Which of `post_ids` the member bookmarked."""
    if not post_ids:
        return set()
    rows = await session.exec(
        select(Bookmark.post_id).where(
            Bookmark.actor_id == actor_id, col(Bookmark.post_id).in_(list(post_ids))
        )
    )
    return set(rows.all())


async def listed(session: AsyncSession, actor_id: int, window: Window) -> list[tuple[int, int]]:
    """(bookmark id, post id), most recently bookmarked first."""
    query = select(Bookmark.id, Bookmark.post_id).where(Bookmark.actor_id == actor_id)
    found = await paging.rows(session, query, col(Bookmark.id), window)
    return [(int(b or 0), p) for b, p in found]
