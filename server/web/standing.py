"""A member's side of moderation: the decisions about their account, each with the norm
it cites and the reason, and their one appeal of each."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import ActionKind
from server.models.moderation import APPEALABLE
from server.services import appeals, moderation
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form, text
from server.web.params import path_id

#: How a decision reads to the member it is about.
DECIDED = {
    ActionKind.warn: "A warning",
    ActionKind.delete_posts: "Some of your posts were removed",
    ActionKind.limit: "Your account is limited: your posts stay off public timelines and "
    "out of the notifications of people who do not follow you",
    ActionKind.suspend: "Your account is suspended",
}


async def _page(
    request: Request,
    session: AsyncSession,
    me: Signed,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    # A dismissal is about the report, not the member: it is not shown to them.
    found = [
        (action, appeal)
        for action, appeal in await appeals.actions_about(session, me.actor_id)
        if action.kind in APPEALABLE
    ]
    context = {
        "decisions": found,
        "standing": await moderation.standing(session, me.actor_id),
        "decided": DECIDED,
        "error": error,
        "typed": typed or {},
        "max_appeal": appeals.MAX_TEXT,
    }
    status = error.status if error else 200
    return await render(request, session, "standing.html", context, status=status, me=me)


async def standing_page(request: Request) -> Response:
    """GET /settings/standing: what moderators decided about the member, and appeals."""
    async with db(request) as session:
        me = await require_member(request, session)
        return await _page(request, session, me)


async def appeal(request: Request) -> Response:
    """POST /settings/standing/{action_id}/appeal: the member's one answer to a decision."""
    form = await read_form(request)
    action_id = path_id(request, "action_id")
    typed = {"action": str(action_id), "text": text(form, "text")}
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            await appeals.appeal(
                session,
                appellant_id=me.actor_id,
                action_id=action_id,
                text=typed["text"],
                now=now(request),
            )
        except ServiceError as error:
            # Start clean: nothing the refused appeal added is kept, nor anything read before.
            await session.rollback()
            session.expunge_all()
            me = await require_member(request, session)
            return await _page(request, session, me, error=error, typed=typed)
    flash(request, "Your appeal is with the moderators; you will hear their answer here.")
    return redirect(f"/settings/standing#action-{action_id}")
