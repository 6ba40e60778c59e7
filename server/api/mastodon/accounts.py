"""Accounts: the member's own, other people's, and how the member relates to them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import Response

from server.api.mastodon import policies, render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.accounts import credential_account, relationship
from server.api.mastodon.entities.common import timestamp
from server.api.mastodon.paging import paged, window
from server.api.mastodon.policies import VISIBILITY_NAMES
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import Actor
from server.services import (
    accounts,
    blocks,
    follows,
    media,
    mutes,
    relationships,
    stats,
    timelines,
)
from server.services.post_views import PostView

Change = Callable[[AsyncSession, Actor, Actor, datetime], Awaitable[Any]]


async def _credential(call: Call) -> dict[str, object]:
    actor = call.actor
    assert actor.id is not None
    figures, waiting, privacy = await stats.of_own_account(call.session, actor.id)
    return credential_account(
        actor,
        call.member,
        figures,
        render.site(call),
        follow_requests=waiting,
        privacy=VISIBILITY_NAMES[privacy],
    )


async def _with_quote_policy(call: Call) -> dict[str, Any]:
    found: dict[str, Any] = dict(await _credential(call))
    found["source"] = {**found["source"], "quote_policy": await policies.quote_default(call)}
    return found


@endpoint("read:accounts|profile")
async def verify_credentials(call: Call) -> Response:
    return JSONResponse(await _with_quote_policy(call))


async def _image(call: Call, name: str) -> bytes | None:
    upload = call.params.file(name)
    if isinstance(upload, UploadFile):
        return await upload.read()
    return None


@endpoint("write:accounts")
async def update_credentials(call: Call) -> Response:
    """PATCH /api/v1/accounts/update_credentials: only what is sent changes."""
    actor, params = call.actor, call.params
    assert actor.id is not None
    quote_policy = params.text("source[quote_policy]")
    policies.quote_rule(quote_policy)  # a wrong word changes nothing
    avatar = header = None
    if (data := await _image(call, "avatar")) is not None:
        avatar = await media.store_avatar(data, call.settings.media_dir, actor.id)
    if (data := await _image(call, "header")) is not None:
        header = await media.store_header(data, call.settings.media_dir, actor.id)
    fields = None
    if any(key.startswith("fields_attributes[") for key in params.values):
        fields = [
            (f.get("name", ""), f.get("value", "")) for f in params.indexed("fields_attributes")
        ]
    await accounts.update_profile(
        call.session,
        actor,
        display_name=params.text("display_name"),
        bio=params.text("note"),
        avatar_path=avatar,
        header_path=header,
        locked=params.flag("locked") if params.has("locked") else None,
        fields=fields,
        now=call.now,
    )
    if quote_policy:
        await policies.set_quote_default(call, quote_policy)
    return JSONResponse(await _with_quote_policy(call))


async def _person(call: Call) -> Actor:
    return await accounts.actor_by_id(call.session, call.path_id())


@endpoint("read:accounts", public=True)
async def show(call: Call) -> Response:
    return JSONResponse(await render.account(call, await _person(call)))


@endpoint("read:accounts", public=True)
async def lookup(call: Call) -> Response:
    """GET /api/v1/accounts/lookup?acct=: by handle, without asking other servers."""
    handle = (call.params.text("acct") or "").strip().lstrip("@")
    if handle.lower().endswith("@" + call.settings.domain):
        handle = handle.rsplit("@", 1)[0]
    if not handle:
        raise ApiError(422, "Give the account to look up as acct=name or acct=name@server.")
    return JSONResponse(
        await render.account(call, await accounts.actor_by_handle(call.session, handle))
    )


@endpoint("read:statuses", public=True)
async def statuses(call: Call) -> Response:
    """GET /api/v1/accounts/:id/statuses, with Mastodon's filters."""
    person = await _person(call)
    params = call.params
    if params.flag("pinned"):
        return paged(call.request, [], [])  # Porch has no pinned posts
    page = await timelines.profile(
        call.session,
        call.viewer_id,
        person,
        with_replies=not params.flag("exclude_replies"),
        window=window(params),
    )
    items: list[PostView] = page.items
    if params.flag("exclude_reblogs"):
        items = [v for v in items if v.reblog is None]
    if params.flag("only_media"):
        items = [v for v in items if (v.reblog or v).media]
    if tagged := params.text("tagged"):
        items = [v for v in items if f"#{tagged.lower()}" in (v.reblog or v).post.text.lower()]
    body = await render.statuses(call, items)
    return paged(call.request, body, [v.post.id for v in page.items])


async def _people_page(call: Call, which: str) -> Response:
    person = await _person(call)
    assert person.id is not None
    listing = follows.followers_of if which == "followers" else follows.followed_by
    rows = await listing(call.session, person.id, window(call.params, default=40, most=80))
    body = await render.accounts(call, [a for _, a in rows])
    return paged(call.request, body, [i for i, _ in rows])


@endpoint("read:accounts", public=True)
async def followers(call: Call) -> Response:
    return await _people_page(call, "followers")


@endpoint("read:accounts", public=True)
async def following(call: Call) -> Response:
    return await _people_page(call, "following")


async def _relationship_with(call: Call, target: Actor) -> Response:
    assert call.actor.id is not None and target.id is not None
    found = await relationships.between(call.session, call.actor.id, [target.id], call.now)
    return JSONResponse(relationship(found[0]))


def _relation(scope: str, change: Change) -> Callable[..., Any]:
    """An endpoint that changes how the member relates to someone and answers the
    Relationship (follow, unfollow, block, unblock, unmute)."""

    async def handler(call: Call) -> Response:
        target = await _person(call)
        await change(call.session, call.actor, target, call.now)
        return await _relationship_with(call, target)

    return endpoint(scope)(handler)


follow = _relation("write:follows", follows.follow)
unfollow = _relation("write:follows", follows.unfollow)
block = _relation("write:blocks", blocks.block)
unblock = _relation("write:blocks", blocks.unblock)
unmute = _relation("write:mutes", mutes.unmute)


@endpoint("write:follows")
async def remove_from_followers(call: Call) -> Response:
    target = await _person(call)
    assert call.actor.id is not None and target.id is not None
    row = await follows.find(call.session, target.id, call.actor.id)
    if row is not None:
        await follows.remove(call.session, row)
    return await _relationship_with(call, target)


@endpoint("write:mutes")
async def mute(call: Call) -> Response:
    target = await _person(call)
    await mutes.mute(
        call.session,
        call.actor,
        target,
        call.now,
        notifications=call.params.flag("notifications", True),
        duration=call.params.number("duration"),
    )
    return await _relationship_with(call, target)


@endpoint("read:follows")
async def relationships_of(call: Call) -> Response:
    """GET /api/v1/accounts/relationships?id[]=…: unknown ids are left out."""
    parsed = (parse_id(raw, most=MAX_SERIAL_ID) for raw in call.params.texts("id"))
    ids = [i for i in parsed if i is not None]
    assert call.actor.id is not None
    found = await relationships.between(call.session, call.actor.id, ids[:100], call.now)
    return JSONResponse([relationship(r) for r in found])


@endpoint("read:accounts")
async def familiar_followers(call: Call) -> Response:
    ids = [raw for raw in call.params.texts("id") if parse_id(raw, most=MAX_SERIAL_ID) is not None]
    return JSONResponse([{"id": i, "accounts": []} for i in ids])


@endpoint("read:follows")
async def follow_requests(call: Call) -> Response:
    assert call.actor.id is not None
    rows = await follows.requests_for(call.session, call.actor.id)
    page = window(call.params, default=40, most=80)
    rows = [r for r in rows if page.max_id is None or (r[0].id or 0) < page.max_id]
    rows = list(reversed(rows))[: page.limit]  # newest first, as Mastodon lists them
    body = await render.accounts(call, [a for _, a in rows])
    return paged(call.request, body, [f.id or 0 for f, _ in rows])


async def _answer(call: Call, approve: bool) -> Response:
    requester = await _person(call)
    assert requester.id is not None
    await follows.answer_request(call.session, call.actor, requester.id, approve, call.now)
    return await _relationship_with(call, requester)


@endpoint("write:follows")
async def authorize_request(call: Call) -> Response:
    return await _answer(call, True)


@endpoint("write:follows")
async def reject_request(call: Call) -> Response:
    return await _answer(call, False)


@endpoint("read:blocks")
async def blocked(call: Call) -> Response:
    assert call.actor.id is not None
    page = window(call.params, default=40, most=80)
    rows = await blocks.listed(call.session, call.actor.id, page)
    body = await render.accounts(call, [a for _, a in rows])
    return paged(call.request, body, [i for i, _ in rows])


@endpoint("read:mutes")
async def muted(call: Call) -> Response:
    assert call.actor.id is not None
    page = window(call.params, default=40, most=80)
    rows = await mutes.listed(call.session, call.actor.id, page, call.now)
    body = await render.accounts(call, [a for _, a, _ in rows])
    for account, (_, _, ends) in zip(body, rows, strict=True):
        account["mute_expires_at"] = timestamp(ends) if ends else None
    return paged(call.request, body, [i for i, _, _ in rows])
