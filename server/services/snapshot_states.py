"""How the posts of a report stand now, beside the snapshots moderators read."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Post, PostState, ReportedPost


async def still_there(session: AsyncSession, snapshots: Iterable[ReportedPost]) -> set[int]:
    """The ids of the reported posts that are not deleted: a snapshot keeps the post's
    id while its row exists, and a deleted post keeps its row for a while."""
    ids = [s.post_id for s in snapshots if s.post_id is not None]
    if not ids:
        return set()
    rows = await session.exec(
        select(Post.id).where(col(Post.id).in_(ids), col(Post.state) != PostState.deleted)
    )
    return {i for i in rows.all() if i is not None}
