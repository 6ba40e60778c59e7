"""A member's side of moderation: the decisions about their account, each with the norm
it cites and the reason, and their one appeal of each.

A suspended member cannot log in, but their password still opens this one page (and its
appeal forms) for a while: they can read why and answer, and do nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import ActionKind
from server.models.moderation import APPEALABLE
from server.services import appeals, moderation
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.web.context import db, flash, now, redirect, render, require_member, viewer
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

MINE = "/settings/standing"
SUSPENDED = "/suspended"
#: The cookie's field naming the suspended member who gave their password, and until when.
_HELD = "suspended_actor"
#: How long a suspended member's password keeps this page open.
HELD_FOR = timedelta(hours=1)


def let_appeal(request: Request, actor_id: int, moment: datetime) -> None:
    """Open the decisions page to a suspended member who gave their password."""
    request.session[_HELD] = [actor_id, (moment + HELD_FOR).isoformat()]


def _held(request: Request) -> int | None:
    """The suspended member this browser proved to be, while that lasts."""
    found = request.session.get(_HELD)
    if not isinstance(found, list) or len(found) != 2:
        return None
    actor_id, until = found
    if not isinstance(actor_id, int) or datetime.fromisoformat(str(until)) < now(request):
        request.session.pop(_HELD, None)
        return None
    return actor_id


async def _page(
    request: Request,
    session: AsyncSession,
    actor_id: int,
    me: Signed | None,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    # A dismissal is about the report, not the member: it is not shown to them.
    found = [
        (action, appeal)
        for action, appeal in await appeals.actions_about(session, actor_id)
        if action.kind in APPEALABLE
    ]
    context = {
        "decisions": found,
        "standing": await moderation.standing(session, actor_id),
        "decided": DECIDED,
        "base": MINE if me is not None else SUSPENDED,
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
        return await _page(request, session, me.actor_id, me)


async def suspended_page(request: Request) -> Response:
    """GET /suspended: the same, for a suspended member who gave their password."""
    async with db(request) as session:
        if await viewer(request, session) is not None:
            return redirect(MINE)
        actor_id = _held(request)
        if actor_id is None:
            return redirect("/login")
        if await moderation.standing(session, actor_id) != "suspended":
            request.session.pop(_HELD, None)
            flash(request, "Your account is active again: log in.")
            return redirect("/login")
        return await _page(request, session, actor_id, None)


async def appeal(request: Request) -> Response:
    """POST /settings/standing/{action_id}/appeal (or /suspended/...): the member's one
    answer to a decision about them."""
    form = await read_form(request)
    action_id = path_id(request, "action_id")
    typed = {"action": str(action_id), "text": text(form, "text")}
    async with db(request) as session:
        me = await viewer(request, session)
        actor_id = me.actor_id if me is not None else _held(request)
        if actor_id is None:
            me = await require_member(request, session)  # 401: log in
            actor_id = me.actor_id
        try:
            await appeals.appeal(
                session,
                appellant_id=actor_id,
                action_id=action_id,
                text=typed["text"],
                now=now(request),
            )
        except ServiceError as error:
            # Start clean: nothing the refused appeal added is kept, nor anything read before.
            await session.rollback()
            session.expunge_all()
            me = await viewer(request, session)
            return await _page(request, session, actor_id, me, error=error, typed=typed)
    flash(request, "Your appeal is with the moderators; you will hear their answer here.")
    return redirect(f"{MINE if me is not None else SUSPENDED}#action-{action_id}")
