"""Statuses: writing (with the pause), reading, threads, likes, boosts, bookmarks, edits."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from starlette.responses import Response

from server.api.mastodon import policies, render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.statuses import FROM_MASTODON, edit, source
from server.api.mastodon.paging import paged, window
from server.api.mastodon.stewardship import mark_hidden
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import Post, PostState, Visibility
from server.services import (
    bookmarks,
    edits,
    post_policies,
    post_reads,
    posts,
    reactions,
    timelines,
)
from server.services.approval_gate import Held
from server.services.posts import Composition


def _media_ids(call: Call) -> tuple[int, ...] | None:
    if not call.params.has("media_ids"):
        return None
    found = [parse_id(i, most=MAX_SERIAL_ID) for i in call.params.texts("media_ids")]
    if any(i is None for i in found):
        raise ApiError(422, "media_ids must be the ids of your uploads.")
    return tuple(i for i in found if i is not None)


def _composition(call: Call, *, visibility: Visibility, reply_to: int | None) -> Composition:
    params = call.params
    if params.has("poll[options]"):
        raise ApiError(422, "Porch does not have polls yet: post without one.")
    if params.text("scheduled_at"):
        raise ApiError(422, "Porch does not schedule posts: every post goes out after its pause.")
    return Composition(
        text=params.text("status") or "",
        spoiler_text=params.text("spoiler_text") or "",
        visibility=visibility,
        in_reply_to_id=reply_to,
        sensitive=params.flag("sensitive"),
        language=params.text("language"),
        media_ids=_media_ids(call),
        quote_of_id=_quoted(call),
    )


def _quoted(call: Call) -> int | None:
    raw = call.params.text("quoted_status_id")
    if not raw:
        return None
    found = parse_id(raw)
    if found is None:
        raise ApiError(404, "Record not found")
    return found


def _reply_to(call: Call) -> int | None:
    raw = call.params.text("in_reply_to_id")
    if not raw:
        return None
    found = parse_id(raw)
    if found is None:
        raise ApiError(404, "Record not found")
    return found


@endpoint("write:statuses")
async def create(call: Call) -> Response:
    """POST /api/v1/statuses: the post waits out its pause; `created_at` is when it goes out."""
    actor = call.actor
    name = call.params.text("visibility") or "public"
    if name not in FROM_MASTODON:
        raise ApiError(422, "visibility must be public, unlisted, private or direct.")
    key = call.request.headers.get("idempotency-key") or None
    draft = _composition(call, visibility=FROM_MASTODON[name], reply_to=_reply_to(call))
    draft = replace(draft, chosen=policies.composed_rules(call))
    post = await posts.compose(
        call.session,
        call.request.app.state.jobs,
        call.remote_lookup,
        actor,
        draft,
        await call.rules(),
        call.now,
        idempotency_key=key,
        confirmed=call.member.email_confirmed_at is not None,
    )
    if key is not None:  # a retry may get back a post made earlier, since marked or answered
        return JSONResponse(await render.status_by_id(call, post.id))
    return JSONResponse(await render.new_status(call, post, with_media=bool(draft.media_ids)))


@endpoint("read:statuses", public=True)
async def show(call: Call) -> Response:
    return JSONResponse(await render.status_by_id(call, call.status_id()))


async def _own(call: Call) -> Post:
    post = await post_reads.get_visible(call.session, call.viewer_id, call.status_id())
    if post.actor_id != call.actor.id or post.reblog_of_id is not None:
        raise ApiError(404, "Record not found")
    return post


@endpoint("write:statuses")
async def delete(call: Call) -> Response:
    """DELETE: during the pause the post is withdrawn (its words kept as a draft, as on
    the web); after, it is deleted everywhere. Either way the answer carries its text,
    for apps' delete-and-redraft."""
    post = await _own(call)
    body = await render.status_by_id(call, post.id)
    body["text"] = post.text
    if post.state == PostState.pending:
        await posts.withdraw(call.session, call.actor, post.id, call.now)
    else:
        await posts.delete_published(call.session, call.actor, post.id, call.now)
    return JSONResponse(body)


@endpoint("write:statuses")
async def update(call: Call) -> Response:
    """PUT: an edit; during the pause it changes the post before anyone sees it."""
    post = await _own(call)
    draft = _composition(call, visibility=post.visibility, reply_to=post.in_reply_to_id)
    change = edits.edit_pending if post.state == PostState.pending else edits.edit_published
    rules = await call.rules()
    chosen = policies.composed_rules(call)  # Mastodon 4.5 takes quote_approval_policy here too
    await change(call.session, call.remote_lookup, call.actor, post.id, draft, rules, call.now)
    if chosen:
        await post_policies.change(
            call.session, call.actor, post.id, chosen, rules, call.now, tell=False
        )
    return JSONResponse(await render.status_by_id(call, post.id))


@endpoint("write:statuses")
async def interaction_policy(call: Call) -> Response:
    """PUT /api/v1/statuses/:id/interaction_policy: Mastodon's `quote_approval_policy`
    (and GoToSocial's `interaction_policy` object) for one of the member's posts."""
    post = await _own(call)
    chosen = policies.composed_rules(call)
    if not chosen:
        raise ApiError(422, "Send quote_approval_policy: public, followers or nobody.")
    rules = await call.rules()
    await post_policies.change(call.session, call.actor, post.id, chosen, rules, call.now)
    return JSONResponse(await render.status_by_id(call, post.id))


@endpoint("read:statuses", public=True)
async def context(call: Call) -> Response:
    post = await post_reads.get_visible(call.session, call.viewer_id, call.status_id())
    thread = await timelines.thread(call.session, call.viewer_id, post)
    here = next((i for i, v in enumerate(thread) if v.post.id == post.id), len(thread))
    # Replies collapsed for this reader (hidden by the thread's author) are left out.
    above = [v for v in thread[:here] if not v.collapsed]
    below = [v for v in thread[here + 1 :] if not v.collapsed]
    rendered = await render.statuses(call, above + below)
    for view, entity in zip(above + below, rendered, strict=True):
        mark_hidden(view, entity, call.viewer_id)
    return JSONResponse(
        {"ancestors": rendered[: len(above)], "descendants": rendered[len(above) :]}
    )


@endpoint("read:statuses")
async def status_source(call: Call) -> Response:
    return JSONResponse(source(await _own(call)))


@endpoint("read:statuses", public=True)
async def history(call: Call) -> Response:
    post = await post_reads.get_visible(call.session, call.viewer_id, call.status_id())
    view = (await timelines.views_of(call.session, call.viewer_id, [post.id]))[0]
    shown = await render.status(call, view)
    versions = [
        edit(v, shown["account"], []) for v in await post_reads.history(call.session, post.id)
    ]
    versions.append(edit(post, shown["account"], shown["media_attachments"]))
    return JSONResponse(versions)


@endpoint("write:favourites")
async def favourite(call: Call) -> Response:
    with contextlib.suppress(Held):  # kept, waiting for the author: as GoToSocial, 200
        await reactions.like(call.session, call.actor, call.status_id(), call.now)
    return JSONResponse(await render.status_by_id(call, call.status_id()))


@endpoint("write:favourites")
async def unfavourite(call: Call) -> Response:
    await reactions.unlike(call.session, call.actor, call.status_id(), call.now)
    return JSONResponse(await render.status_by_id(call, call.status_id()))


@endpoint("write:statuses")
async def reblog(call: Call) -> Response:
    """A boost; the answer is the boost, with the boosted post in `reblog`."""
    try:
        boost = await reactions.boost(call.session, call.actor, call.status_id(), call.now)
    except Held:  # kept, waiting for the author: the post as it is
        return JSONResponse(await render.status_by_id(call, call.status_id()))
    return JSONResponse(await render.status_by_id(call, boost.id))


@endpoint("write:statuses")
async def unreblog(call: Call) -> Response:
    await reactions.unboost(call.session, call.actor, call.status_id(), call.now)
    return JSONResponse(await render.status_by_id(call, call.status_id()))


@endpoint("write:bookmarks")
async def bookmark(call: Call) -> Response:
    assert call.actor.id is not None
    await bookmarks.add(call.session, call.actor.id, call.status_id(), call.now)
    return JSONResponse(await render.status_by_id(call, call.status_id()))


@endpoint("write:bookmarks")
async def unbookmark(call: Call) -> Response:
    assert call.actor.id is not None
    await bookmarks.remove(call.session, call.actor.id, call.status_id())
    return JSONResponse(await render.status_by_id(call, call.status_id()))


@endpoint("write:accounts")
async def pin(call: Call) -> Response:
    await _own(call)
    raise ApiError(422, "Porch does not pin posts to profiles yet.")


@endpoint("write:accounts")
async def unpin(call: Call) -> Response:
    return JSONResponse(await render.status_by_id(call, (await _own(call)).id))


async def _who(call: Call, which: str) -> Response:
    listing = reactions.likers if which == "favourited" else reactions.boosters
    page = window(call.params, default=40, most=80)
    rows = await listing(call.session, call.viewer_id, call.status_id(), page)
    body = await render.accounts(call, [a for _, a in rows])
    return paged(call.request, body, [i for i, _ in rows])


@endpoint("read:accounts", public=True)
async def favourited_by(call: Call) -> Response:
    return await _who(call, "favourited")


@endpoint("read:accounts", public=True)
async def reblogged_by(call: Call) -> Response:
    return await _who(call, "reblogged")
