"""Editing a post: during its pause, or after it is published (keeping its history).

Every edit is a conditional update on the version it started from (`Post.version`), so
of two edits made from the same version one lands and the other is refused (Conflict,
the text kept by the door that sent it): no edit is lost, and no version is recorded
twice in the history. An edit that names no version (the client API has no field for
it) starts from the version it reads, and reads again when another edit lands first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Attachment,
    Mention,
    OutboxKind,
    Post,
    PostEdit,
    PostState,
    PostTag,
)
from server.services import (
    feeds,
    media_files,
    moments,
    outbox,
    quote_answers,
    signal_upkeep,
    states,
    uploads,
)
from server.services.errors import Conflict, NotFound
from server.services.events import Event, EventKind, announce
from server.services.post_reads import get_visible
from server.services.posts import (
    Composition,
    Rules,
    add_refs,
    check_composition,
    refuse_not_pending,
    render_text,
)
from server.services.remote_lookup import RemoteLookup, meet_mentioned

#: Reads of the current version an unversioned edit makes before giving up.
ATTEMPTS = 5

STALE = (
    "This post was changed (in another window or app) after you opened it, so your edit "
    "was not saved. Your text is still here: look at the post as it is now, then save again."
)


async def edit_pending(
    session: AsyncSession,
    lookup: RemoteLookup,
    author: Actor,
    post_id: int,
    draft: Composition,
    rules: Rules,
    now: datetime,
    *,
    version: int | None = None,
) -> Post:
    """Change a post during its pause, from `version` if given. The pause does not restart.

    The update is conditional on the post still being pending, so an edit racing with the
    publish either lands first or is refused with Conflict; it is never lost silently.
    New mentions of people elsewhere are looked up through `lookup`, as in `compose`.
    """
    draft = check_composition(draft, rules)
    await meet_mentioned(session, lookup, draft.text)
    rendered, mention_ids = await render_text(session, draft.text, rules.base_url)
    conditions = [col(Post.actor_id) == author.id]
    if version is not None:
        conditions.append(col(Post.version) == version)
    edited = await states.move(
        session,
        Post,
        post_id,
        PostState.pending,
        PostState.pending,
        values={
            "text": draft.text,
            "content_html": rendered.html,
            "spoiler_text": draft.spoiler_text,
            "visibility": draft.visibility,
            "sensitive": draft.sensitive,
            "language": draft.language,
            "intent": draft.intent,
            "tone_indicator": draft.tone_indicator,
            "edited_at": now,
            "version": col(Post.version) + 1,
        },
        where=conditions,
    )
    if not edited:
        await _refuse(session, author, post_id, PostState.pending)
    await _replace_refs(session, post_id, mention_ids, rendered.tags)
    await _replace_media(session, author, post_id, draft.media_ids, now)
    await feeds.place(session, await _fresh(session, post_id))
    await moments.edited_in_pause(session, post_id)
    await session.commit()
    return await get_visible(session, author.id, post_id)


async def edit_published(
    session: AsyncSession,
    lookup: RemoteLookup,
    author: Actor,
    post_id: int,
    draft: Composition,
    rules: Rules,
    now: datetime,
    *,
    version: int | None = None,
) -> Post:
    """Change a published post's words, from `version` if given; the version it replaces
    is kept for its history and followers elsewhere are sent the new one (and new
    mentions, looked up through `lookup`). Who can see it does not change."""
    draft = check_composition(draft, rules)
    await meet_mentioned(session, lookup, draft.text)
    rendered, mention_ids = await render_text(session, draft.text, rules.base_url)
    for _ in range(ATTEMPTS):
        post = await session.get(Post, post_id, populate_existing=True)
        if post is None or post.actor_id != author.id or post.reblog_of_id is not None:
            raise NotFound("This post does not exist any more.")
        if post.state != PostState.published:
            raise Conflict("Only published posts are edited this way.")
        if version is not None and post.version != version:
            raise Conflict(STALE)
        replaced = PostEdit(
            post_id=post.id,
            text=post.text,
            content_html=post.content_html,
            spoiler_text=post.spoiler_text,
            created_at=post.edited_at or post.published_at or post.created_at,
        )
        # Lands only on the version just read, so `replaced` is exactly what it replaces.
        edited = await states.move(
            session,
            Post,
            post_id,
            PostState.published,
            PostState.published,
            values={
                "text": draft.text,
                "content_html": rendered.html,
                "spoiler_text": draft.spoiler_text,
                "edited_at": now,
                "sensitive": draft.sensitive,
                "language": draft.language or post.language,
                "version": col(Post.version) + 1,
            },
            where=[col(Post.version) == post.version],
        )
        if edited:
            break
        if version is not None:
            await _refuse(session, author, post_id, PostState.published)
    else:
        raise Conflict("This post is being edited from elsewhere right now; try again.")
    session.add(replaced)
    await _replace_refs(session, post_id, mention_ids, rendered.tags)
    await _replace_media(session, author, post_id, draft.media_ids, now)
    post = await session.get(Post, post_id, populate_existing=True)
    assert post is not None
    await signal_upkeep.edited(session, post)
    await feeds.place(session, post)  # its mentions may have changed
    outbox.record(session, OutboxKind.update, author.id, now=now, post_id=post_id)
    await quote_answers.quoted_edited(session, post, now)
    announce(session, Event(EventKind.post_edited, post_id))
    await session.commit()
    return post


async def _fresh(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(Post, post_id, populate_existing=True)
    assert post is not None  # just changed in this transaction
    return post


async def _refuse(session: AsyncSession, author: Actor, post_id: int, state: PostState) -> None:
    """Raise why an edit of a post in `state` did not land."""
    post = await session.get(Post, post_id, populate_existing=True)
    if post is None or post.actor_id != author.id or post.state == PostState.deleted:
        raise NotFound("This post does not exist any more.")
    if post.state != state:
        await refuse_not_pending(session, author, post_id)
    raise Conflict(STALE)


async def _replace_refs(
    session: AsyncSession, post_id: int, mention_ids: list[int], tags: list[str]
) -> None:
    await session.exec(delete(Mention).where(col(Mention.post_id) == post_id))
    await session.exec(delete(PostTag).where(col(PostTag.post_id) == post_id))
    add_refs(session, post_id, mention_ids, tags)


async def _replace_media(
    session: AsyncSession,
    author: Actor,
    post_id: int,
    media_ids: tuple[int, ...] | None,
    now: datetime,
) -> None:
    """On an edit that names its media: uploads left out go back to the author's, and
    are removed after the grace period unless a post takes them again."""
    if media_ids is None:
        return
    assert author.id is not None
    await media_files.release(
        session,
        (col(Attachment.post_id) == post_id) & col(Attachment.id).not_in(media_ids),
        now,
    )
    await uploads.claim(session, author.id, media_ids, post_id)
