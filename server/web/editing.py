"""Changing a post: editing it during its pause or after, withdrawing it, deleting it."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID, parse_id
from server.models import Post, PostState, Visibility
from server.services import edits, posts
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.services.posts import Composition
from server.web.compose import _composition, _form_page
from server.web.context import db, flash, now, redirect, require_member, rules
from server.web.forms import read_form, text
from server.web.params import path_id

log = logging.getLogger(__name__)


def _version(form: FormData) -> int | None:
    """The version of the post the edit form was opened on."""
    return parse_id(text(form, "version"), most=MAX_SERIAL_ID)


async def _own_pending(session: AsyncSession, me: Signed, post_id: int) -> Post | None:
    post = await session.get(Post, post_id)
    if post is None or post.actor_id != me.actor_id or post.state == PostState.deleted:
        raise HTTPException(404)
    return post if post.state == PostState.pending else None


def _values_of(post: Post) -> Composition:
    """What the author wrote, back in the composer for an edit."""
    return Composition(
        post.text,
        post.spoiler_text,
        Visibility(post.visibility),
        post.in_reply_to_id,
        intent=post.intent,
        tone_indicator=post.tone_indicator,
    )


async def edit_page(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        post = await _own_pending(session, me, post_id)
        if post is None:
            flash(request, "That post is published now; its pause is over.")
            return redirect(f"/@{me.actor.username}/{post_id}")
        values = _values_of(post)
        return await _form_page(
            request, session, me, values, action=f"/posts/{post_id}/edit", editing=post
        )


async def edit(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    form = await read_form(request)
    values = _composition(form)
    async with db(request) as session:
        me = await require_member(request, session)
        current = await session.get(Post, post_id)
        # The reply target is fixed once posted; only the words and settings change.
        if current is not None:
            values = replace(values, in_reply_to_id=current.in_reply_to_id)
        try:
            await edits.edit_pending(
                session,
                request.app.state.remote_lookup,
                me.actor,
                post_id,
                values,
                await rules(request, session, me.actor_id),
                now(request),
                version=_version(form),
            )
        except ServiceError as error:
            log.info("edit of %s refused: %s", post_id, error.message)
            editing = await session.get(Post, post_id, populate_existing=True)
            if editing is not None and editing.state == PostState.published:
                # The pause ended before the change was saved: the words are not lost;
                # one click posts them as a new post (a reply stays a reply).
                return await _form_page(
                    request, session, me, values, action="/posts", error=error, gone_out=editing
                )
            return await _form_page(
                request,
                session,
                me,
                values,
                action=f"/posts/{post_id}/edit",
                error=error,
                editing=editing if editing and editing.state == PostState.pending else None,
            )
        flash(request, "Your changes are saved. The pause goes on as before.")
        return redirect(f"/@{me.actor.username}/{post_id}")


async def revise_page(request: Request) -> Response:
    """Editing a published post: its words change, who can see it does not."""
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        post = await session.get(Post, post_id)
        if post is None or post.actor_id != me.actor_id or post.state != PostState.published:
            raise HTTPException(404)
        values = _values_of(post)
        return await _form_page(
            request, session, me, values, action=f"/posts/{post_id}/revise", revising=post
        )


async def revise(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    form = await read_form(request)
    values = _composition(form)
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            post = await edits.edit_published(
                session,
                request.app.state.remote_lookup,
                me.actor,
                post_id,
                values,
                await rules(request, session, me.actor_id),
                now(request),
                version=_version(form),
            )
        except ServiceError as error:
            log.info("edit of published %s refused: %s", post_id, error.message)
            current = await session.get(Post, post_id, populate_existing=True)
            return await _form_page(
                request,
                session,
                me,
                values,
                action=f"/posts/{post_id}/revise",
                error=error,
                revising=current,
            )
        flash(request, "Edited. People see the new version, marked as edited.")
        return redirect(f"/@{me.actor.username}/{post.id}")


async def withdraw(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            draft = await posts.withdraw(session, me.actor, post_id, now(request))
        except ServiceError as error:
            flash(request, error.message)
            return redirect(f"/@{me.actor.username}/{post_id}")
        flash(request, "Withdrawn. Nobody saw it. Revise it below, or discard it.")
        return redirect(f"/compose?draft={draft.id}")


async def delete(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        await posts.delete_published(session, me.actor, post_id, now(request))
        flash(request, "Your post is deleted.")
        return redirect(f"/@{me.actor.username}")
