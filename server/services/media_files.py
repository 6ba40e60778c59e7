"""Removing media files that nothing holds: uploads no post or draft keeps, replaced avatars.

An upload is held by its post or by the draft of a withdrawn post. When neither holds it
(never attached, edited out, its post deleted, its draft discarded) it is kept for a
grace period, as Mastodon keeps media for a day so an app can delete and redraft, then
its row and files go: from disk, and so from /media. Files with no row at all (an upload
whose row never committed, an avatar since replaced) go after the same grace period,
counted from the file's modification time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, and_, delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Attachment

log = logging.getLogger(__name__)

#: How long an upload nothing holds is kept (Mastodon keeps unattached media a day).
GRACE = timedelta(hours=24)
#: Rows looked at per sweep; the next sweep takes the rest.
BATCH = 500
#: Rows read per statement while looking for the files that rows name.
NAMES_PAGE = 5000
#: The folders under the media directory that Porch writes uploads into.
FOLDERS = ("attachments", "avatars", "headers")


def _unheld(cutoff: datetime) -> ColumnElement[bool]:
    """Local uploads that no post or draft holds, let go of before `cutoff`."""
    return and_(
        col(Attachment.post_id).is_(None),
        col(Attachment.draft_id).is_(None),
        col(Attachment.file_name).is_not(None),
        func.coalesce(col(Attachment.released_at), col(Attachment.created_at)) <= cutoff,
    )


async def release(session: AsyncSession, held: ColumnElement[bool], now: datetime) -> None:
    """Let go of the uploads matching `held` (the caller commits): they are no post's or
    draft's any more, and their grace period starts now."""
    await session.exec(
        update(Attachment)
        .where(held, col(Attachment.file_name).is_not(None))
        .values(post_id=None, draft_id=None, released_at=now)
    )


async def sweep(session: AsyncSession, media_dir: Path, now: datetime) -> int:
    """Remove uploads nothing has held for the grace period, rows and files, and files
    under the media folders that no row names. Returns how many files were removed."""
    cutoff = now - GRACE
    rows = await session.exec(
        select(Attachment.id, Attachment.file_name, Attachment.preview_name)
        .where(_unheld(cutoff))
        .limit(BATCH)
    )
    names: list[str] = []
    for attachment_id, file_name, preview_name in rows.all():
        # Conditional: a post may have taken the upload since it was read.
        gone = await session.exec(
            delete(Attachment).where(col(Attachment.id) == attachment_id, _unheld(cutoff))
        )
        if gone.rowcount == 1:
            names += [n for n in (file_name, preview_name) if n]
    await session.commit()
    # Files after the commit: a crash in between leaves files without rows, which the
    # scan below removes next time; the other order could leave rows without files.
    removed = _remove(media_dir, names)
    removed += _remove(media_dir, await _unnamed(session, media_dir, cutoff))
    if removed:
        log.info("removed %d media files that no post, draft or profile holds", removed)
    return removed


async def _unnamed(session: AsyncSession, media_dir: Path, cutoff: datetime) -> list[str]:
    """Files in the media folders, older than `cutoff`, that no row names."""
    old = {
        f"{folder}/{path.name}"
        for folder in FOLDERS
        if (media_dir / folder).is_dir()
        for path in (media_dir / folder).iterdir()
        if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime, UTC) <= cutoff
    }
    if old:
        old -= await _named(session, old)
    return sorted(old)


async def _named(session: AsyncSession, names: set[str]) -> set[str]:
    """Which of `names` a row names. The name columns have no index (nothing else looks
    files up by name), so this reads each table once, in pages by id, rather than
    looking every name up in them (a full scan per name or per batch of names)."""
    found: set[str] = set()
    for table_id, first, second in (
        (col(Attachment.id), col(Attachment.file_name), col(Attachment.preview_name)),
        (col(Actor.id), col(Actor.avatar_path), col(Actor.header_path)),
    ):
        last = 0
        while True:
            rows = (
                await session.exec(
                    select(table_id, first, second)
                    .where(table_id > last, or_(first.is_not(None), second.is_not(None)))
                    .order_by(table_id)
                    .limit(NAMES_PAGE)
                )
            ).all()
            for row_id, *row_names in rows:
                found.update(n for n in row_names if n in names)
                last = row_id or last
            if len(rows) < NAMES_PAGE:
                break
    return found


def _remove(media_dir: Path, names: Iterable[str]) -> int:
    removed = 0
    for name in names:
        path = media_dir / name
        # Only plain files inside the media folders: names come from rows and listings.
        if path.parent.parent != media_dir or path.parent.name not in FOLDERS:
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError:
            log.exception("could not remove media file %s", name)
    return removed
