"""Media a member uploads for a post: stored first, attached when the post is written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Attachment
from server.services import media
from server.services.errors import Invalid, NotFound
from server.services.events import Event, EventKind, announce

MAX_ATTACHMENTS = 4
MAX_DESCRIPTION = 1500


def parse_focus(text: str | None) -> tuple[float, float] | None:
    """ "x,y" with each in -1.0..1.0 (Mastodon's focal points), or None when not given."""
    if text is None or not text.strip():
        return None
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise Invalid(
            "focus must be two numbers, x,y, each from -1.0 to 1.0.", field="focus"
        ) from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise Invalid("focus must be two numbers, x,y, each from -1.0 to 1.0.", field="focus")
    return x, y


def _check_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"Descriptions are at most {MAX_DESCRIPTION} characters.", field="description"
        )
    return description


async def upload(
    session: AsyncSession,
    actor_id: int,
    data: bytes,
    media_dir: Path,
    *,
    description: str | None,
    focus: tuple[float, float] | None,
    now: datetime,
) -> Attachment:
    """Store an image for `actor_id`'s next post (decoded off the event loop, in turn)."""
    text = _check_description(description)
    stored = await media.store_attachment(data, media_dir, actor_id)
    item = Attachment(
        actor_id=actor_id,
        media_type=stored.media_type,
        description=text,
        blurhash=stored.blurhash,
        width=stored.size[0],
        height=stored.size[1],
        file_name=stored.file_name,
        preview_name=stored.preview_name,
        preview_width=stored.preview_size[0],
        preview_height=stored.preview_size[1],
        size=len(data),
        focus_x=focus[0] if focus else 0.0,
        focus_y=focus[1] if focus else 0.0,
        created_at=now,
    )
    session.add(item)
    await session.commit()
    return item


async def own(session: AsyncSession, actor_id: int, attachment_id: int) -> Attachment:
    """One of the member's uploads; NotFound for anyone else's."""
    item = await session.get(Attachment, attachment_id)
    if item is None or item.actor_id != actor_id:
        raise NotFound("This media does not exist.")
    return item


async def describe(
    session: AsyncSession,
    actor_id: int,
    attachment_id: int,
    *,
    description: str | None,
    focus: tuple[float, float] | None,
) -> Attachment:
    """Change an upload's description or focal point (before or after it is posted)."""
    item = await own(session, actor_id, attachment_id)
    if description is not None:
        item.description = _check_description(description)
    if focus is not None:
        item.focus_x, item.focus_y = focus
    session.add(item)
    if item.post_id is not None:  # the post's document names its media
        announce(session, Event(EventKind.stale, item.post_id, topic="post"))
    await session.commit()
    return item


async def claim(
    session: AsyncSession, actor_id: int, media_ids: Sequence[int], post_id: int
) -> None:
    """Attach the member's uploads to their post, in the order given (the caller commits).

    Uploads already on another post, or someone else's, are refused. An upload a draft
    held (an app reusing a withdrawn post's media) is no draft's once a post takes it.
    """
    ids = list(dict.fromkeys(media_ids))
    if len(ids) > MAX_ATTACHMENTS:
        raise Invalid(f"A post can have at most {MAX_ATTACHMENTS} images.", field="media_ids")
    if not ids:
        return
    rows = await session.exec(select(Attachment).where(col(Attachment.id).in_(ids)))
    found = {a.id: a for a in rows.all()}
    for position, attachment_id in enumerate(ids):
        item = found.get(attachment_id)
        if item is None or item.actor_id != actor_id:
            raise Invalid(f"Media {attachment_id} does not exist.", field="media_ids")
        if item.post_id is not None and item.post_id != post_id:
            raise Invalid(f"Media {attachment_id} is on another post already.", field="media_ids")
        item.post_id, item.position, item.draft_id = post_id, position, None
        session.add(item)
