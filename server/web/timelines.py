"""Timeline pages: home (Conversations or Latest), local, a hashtag."""

from __future__ import annotations

from dataclasses import replace

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID
from server.services import (
    accounts,
    exchanges,
    explanations,
    norms,
    ranked_timeline,
    ranking,
    timelines,
)
from server.services.accounts import Signed
from server.services.paging import Window
from server.web.context import community_norms, db, now, redirect, render, require_member, viewer
from server.web.forms import read_form
from server.web.pagecache import public_page
from server.web.params import query_id


@public_page
async def home(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        if me is None:
            page = await timelines.local(
                session, None, window=Window(max_id=query_id(request, "max_id"))
            )
            return await render(request, session, "welcome.html", {"page": page})
        found = await community_norms(request, session)
        landing = found["timeline.default"]
        if landing == "local" and request.url.path == "/":
            return redirect("/local")
        order = home_order(me, found)
        context = {"title": "Home", "tab": "home", "compose": True, "order": order}
        if order == "conversations":
            assert me.actor.id is not None
            ranked = await ranked_timeline.page(
                session,
                me.actor.id,
                now(request),
                ranking.weights(found),
                snapshot_id=query_id(request, "snapshot", most=MAX_SERIAL_ID),
                offset=query_id(request, "offset") or 0,
                kept=request.app.state.orders,
            )
            views = [item.view for item in ranked.items]
            found_exchanges = await exchanges.of_page(session, me.actor.id, views, now(request))
            context |= {"ranked": ranked, "explain": explanations, "exchanges": found_exchanges}
            context |= {"exchange_words": exchanges}
            return await render(request, session, "conversations.html", context, me=me)
        page = await timelines.home(
            session, me.actor, now(request), Window(max_id=query_id(request, "max_id"))
        )
        context |= {"page": replace(page, items=timelines.once(page.items))}
        return await render(request, session, "timeline.html", context, me=me)


def home_order(me: Signed, found: norms.Norms) -> str:
    """Conversations or Latest: the member's choice, else the community's default."""
    if me.member.home_order in ("conversations", "latest"):
        return me.member.home_order
    return "latest" if found["timeline.default"] == "latest" else "conversations"


async def set_home_order(request: Request) -> Response:
    """POST /home/order: switch between Conversations and Latest, remembered."""
    form = await read_form(request)
    order = str(form.get("order", ""))
    if order not in ("conversations", "latest"):
        raise HTTPException(400, "Choose Conversations or Latest.")
    async with db(request) as session:
        me = await require_member(request, session)
        await accounts.set_home_order(session, me.member, order)
        landing = (await community_norms(request, session))["timeline.default"]
    return redirect("/home" if landing == "local" else "/")


@public_page
async def local(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        viewer_id = me.actor.id if me else None
        page = await timelines.local(
            session, viewer_id, window=Window(max_id=query_id(request, "max_id"))
        )
        context = {"page": page, "title": "Local", "tab": "local", "compose": False}
        return await render(request, session, "timeline.html", context, me=me)


@public_page
async def tag(request: Request) -> Response:
    name = str(request.path_params["tag"]).lower()
    async with db(request) as session:
        me = await viewer(request, session)
        viewer_id = me.actor.id if me else None
        page = await timelines.tagged(
            session, viewer_id, name, window=Window(max_id=query_id(request, "max_id"))
        )
        context = {"page": page, "title": f"#{name}", "tab": "tag", "compose": False}
        return await render(request, session, "timeline.html", context, me=me)
