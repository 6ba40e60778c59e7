"""GoToSocial's interaction requests API: what waits for the member's approval, and
their decisions (GET /api/v1/interaction_requests, /:id, POST /:id/authorize, /:id/reject).

The entity is GoToSocial's (internal/api/model/interactionrequest.go): `type` is
favourite, reply or reblog, and quote for Porch's quotes waiting likewise; `reply` is
the waiting reply, shown to the post's author here and to nobody else anywhere.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import Call, endpoint
from server.api.mastodon.entities.common import timestamp
from server.api.mastodon.paging import paged, window
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models.interaction_policies import Interaction, RequestState
from server.services import approvals
from server.services.approvals import Waiting
from server.services.post_views import PostView

TYPES = {
    Interaction.like: "favourite",
    Interaction.reply: "reply",
    Interaction.boost: "reblog",
    Interaction.quote: "quote",
}
#: GoToSocial's filters (each true unless set false), and Porch's for quotes.
FILTERS = {
    "favourites": Interaction.like,
    "replies": Interaction.reply,
    "reblogs": Interaction.boost,
    "quotes": Interaction.quote,
}


async def _entities(call: Call, items: list[Waiting]) -> list[dict[str, Any]]:
    posts = [PostView(w.target, call.actor) for w in items]
    held = [PostView(w.interacting, w.actor) for w in items if w.interacting is not None]
    shown = await render.statuses(call, [*posts, *held])
    by_id = {int(s["id"]): s for s in shown}
    accounts = {int(a["id"]): a for a in await render.accounts(call, [w.actor for w in items])}
    found = []
    for item in items:
        request = item.request
        entity: dict[str, Any] = {
            "id": str(request.id),
            "type": TYPES[request.kind],
            "created_at": timestamp(request.created_at),
            "account": accounts[int(item.actor.id or 0)],
            "status": by_id[item.target.id],
        }
        if item.interacting is not None:
            entity[str(request.kind)] = by_id[item.interacting.id]
        if request.state in (RequestState.accepted, RequestState.revoked):
            entity["accepted_at"] = timestamp(request.decided_at)
            entity["uri"] = call.urls.authorization(call.actor.username, request.activity_id)
        elif request.state == RequestState.rejected:
            entity["rejected_at"] = timestamp(request.decided_at)
        found.append(entity)
    return found


@endpoint("read:notifications")
async def listing(call: Call) -> Response:
    assert call.actor.id is not None
    page = window(call.params, default=40, most=80)
    kinds = [kind for name, kind in FILTERS.items() if call.params.flag(name, True)]
    status = call.params.text("status_id")
    target = parse_id(status) if status else None
    if status and target is None:
        return paged(call.request, [], [])
    items = await approvals.waiting(
        call.session,
        call.actor.id,
        call.now,
        max_id=page.max_id,
        since_id=page.since_id or page.min_id,
        limit=page.limit,
        kinds=kinds,
        target_post_id=target,
    )
    body = await _entities(call, items)
    return paged(call.request, body, [w.request.id or 0 for w in items])


@endpoint("read:notifications")
async def show(call: Call) -> Response:
    found = await approvals.one(
        call.session, call.path_id(most=MAX_SERIAL_ID), call.actor, call.now
    )
    return JSONResponse((await _entities(call, [found]))[0])


@endpoint("write:statuses")
async def authorize(call: Call) -> Response:
    request_id = call.path_id(most=MAX_SERIAL_ID)
    await approvals.approve(call.session, request_id, call.actor, call.now, call.urls)
    found = await approvals.one(call.session, request_id, call.actor, call.now)
    return JSONResponse((await _entities(call, [found]))[0])


@endpoint("write:statuses")
async def reject(call: Call) -> Response:
    request_id = call.path_id(most=MAX_SERIAL_ID)
    await approvals.reject(call.session, request_id, call.actor, call.now)
    found = await approvals.one(call.session, request_id, call.actor, call.now)
    return JSONResponse((await _entities(call, [found]))[0])
