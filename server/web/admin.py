"""Admin pages: members, sign-up approvals, suspensions."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.models import MemberRole, MemberState
from server.services import accounts
from server.services.accounts import Signed
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form

ACTIONS = {
    "approve": (MemberState.active, "approved"),
    "reject": (MemberState.rejected, "rejected"),
    "suspend": (MemberState.suspended, "suspended"),
    "reinstate": (MemberState.active, "reinstated"),
}


async def _require_admin(request: Request, session: AsyncSession) -> Signed:
    me = await require_member(request, session)
    if me.member.role != MemberRole.admin:
        raise HTTPException(403, "Only admins can open this page.")
    return me


async def members(request: Request) -> Response:
    async with db(request) as session:
        me = await _require_admin(request, session)
        everyone = await accounts.list_members(session)
        pending = [m for m in everyone if m.member.state == MemberState.pending]
        context = {"pending": pending, "members": everyone}
        return await render(request, session, "admin_members.html", context, me=me)


async def act(request: Request) -> Response:
    await read_form(request)
    action = str(request.path_params["action"])
    if action not in ACTIONS:
        raise HTTPException(404)
    state, done = ACTIONS[action]
    async with db(request) as session:
        me = await _require_admin(request, session)
        username = str(request.path_params["username"])
        if username.lower() == me.actor.username.lower() and state != MemberState.active:
            raise HTTPException(400, "You cannot suspend or reject yourself.")
        found = await accounts.set_state(session, username, state, now(request))
        flash(request, f"@{found.actor.username} is {done}.")
        return redirect("/admin/members")
