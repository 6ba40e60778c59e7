"""The waiting list: interactions with the member's posts that wait for their approval."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID
from server.services import approvals
from server.services.errors import NotFound
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form
from server.web.params import path_id

#: What each kind of request asks, after the person's name.
ASKS = {
    "reply": "wants to reply to your post",
    "like": "wants to like your post",
    "boost": "wants to boost your post",
    "quote": "wants to quote your post",
}


async def waiting(request: Request) -> Response:
    """GET /approvals."""
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.actor_id is not None
        items = await approvals.waiting(session, me.actor_id, now(request))
        context = {"items": items, "asks": ASKS}
        return await render(request, session, "approvals.html", context, me=me)


async def decide(request: Request) -> Response:
    """POST /approvals/{request_id}/{approve|decline}."""
    await read_form(request)
    request_id = path_id(request, "request_id", most=MAX_SERIAL_ID)
    action = request.path_params["action"]
    if action not in ("approve", "decline"):
        raise NotFound("There is no such thing to do with a request.")
    async with db(request) as session:
        me = await require_member(request, session)
        moment = now(request)
        found = await approvals.one(session, request_id, me.actor, moment)
        name = found.actor.name
        if action == "approve":
            await approvals.approve(session, request_id, me.actor, moment, request.app.state.urls)
        else:
            await approvals.reject(session, request_id, me.actor, moment)
    verb = "Approved" if action == "approve" else "Declined"
    flash(request, f"{verb}: {name}'s {found.request.kind}.")
    return redirect("/approvals")
