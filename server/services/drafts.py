"""Drafts: words a member withdrew or kept for later, with the uploads that came with them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Attachment, Draft, Post, Visibility
from server.services import media_files, moments
from server.services.errors import Invalid, NotFound

if TYPE_CHECKING:  # posts uses this module: the import would go round in a circle
    from server.services.posts import Composition


async def keep_withdrawn(session: AsyncSession, post: Post, now: datetime) -> Draft:
    """The draft a withdrawn post becomes, holding its uploads, and the pause's care event
    pointed at it (the caller commits and deletes the post afterwards)."""
    draft = Draft(
        actor_id=post.actor_id,
        in_reply_to_id=post.in_reply_to_id,
        text=post.text,
        spoiler_text=post.spoiler_text,
        visibility=post.visibility,
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    assert post.id is not None and draft.id is not None
    await moments.withdrawn(session, post.id, draft.id)
    # Before the post row goes: deleting it would take its attachments' rows with it.
    await session.exec(
        update(Attachment)
        .where(col(Attachment.post_id) == post.id)
        .values(post_id=None, draft_id=draft.id)
    )
    return draft


async def keep_as_draft(
    session: AsyncSession, author_id: int, draft: Composition, now: datetime
) -> Draft:
    """Keep what the member wrote for later instead of posting it."""
    text = draft.text.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("There is nothing to keep: the post is empty.", field="text")
    row = Draft(
        actor_id=author_id,
        in_reply_to_id=draft.in_reply_to_id,
        text=text[:100_000],
        spoiler_text=" ".join(draft.spoiler_text.split())[:500],
        visibility=Visibility(draft.visibility),
        created_at=now,
    )
    session.add(row)
    await session.commit()
    return row


async def drafts_of(session: AsyncSession, author_id: int) -> list[Draft]:
    """The member's drafts, newest first."""
    rows = await session.exec(
        select(Draft).where(Draft.actor_id == author_id).order_by(col(Draft.id).desc())
    )
    return list(rows.all())


async def draft_of(session: AsyncSession, author_id: int, draft_id: int) -> Draft:
    """One of the member's drafts; NotFound for anyone else's."""
    draft = await session.get(Draft, draft_id)
    if draft is None or draft.actor_id != author_id:
        raise NotFound("That draft does not exist any more.")
    return draft


async def media_of(
    session: AsyncSession, author_id: int, draft_ids: Collection[int]
) -> dict[int, list[Attachment]]:
    """The uploads each of the author's drafts holds, in the order they were on the post
    (nothing for a draft id that is someone else's)."""
    found: dict[int, list[Attachment]] = {i: [] for i in draft_ids}
    if not found:
        return found
    rows = await session.exec(
        select(Attachment)
        .where(col(Attachment.draft_id).in_(list(found)), col(Attachment.actor_id) == author_id)
        .order_by(col(Attachment.position), col(Attachment.id))
    )
    for item in rows.all():
        assert item.draft_id is not None
        found[item.draft_id].append(item)
    return found


async def _release(session: AsyncSession, draft_id: int, now: datetime) -> None:
    """Let go of the draft's uploads that no post took."""
    held = (col(Attachment.draft_id) == draft_id) & col(Attachment.post_id).is_(None)
    await media_files.release(session, held, now)


async def _take(session: AsyncSession, author_id: int, draft_id: int, now: datetime) -> None:
    """Delete the draft, conditionally: of two requests taking one draft at once (posted
    from two tabs, discarded twice) one does, the other is told it is gone."""
    await draft_of(session, author_id, draft_id)
    # Uploads first: deleting the draft would clear their link to it (ON DELETE SET NULL).
    await _release(session, draft_id, now)
    gone = await session.exec(
        delete(Draft).where(col(Draft.id) == draft_id, col(Draft.actor_id) == author_id)
    )
    if gone.rowcount != 1:  # the caller rolls back, keeping the uploads as they were
        raise NotFound("That draft does not exist any more.")


async def posted(session: AsyncSession, author_id: int, draft_id: int, now: datetime) -> None:
    """The draft went out as a post (the caller commits): the draft goes, and the uploads
    the post did not take are let go of."""
    await _take(session, author_id, draft_id, now)
    await moments.draft_taken(session, draft_id, posted=True)


async def discard(session: AsyncSession, author_id: int, draft_id: int, now: datetime) -> None:
    """Throw a draft away; its uploads are removed after the grace period."""
    await _take(session, author_id, draft_id, now)
    await moments.draft_taken(session, draft_id, posted=False)
    await session.commit()
