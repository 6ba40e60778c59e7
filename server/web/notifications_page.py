"""The notifications page: All or Mentions, each notification with the post it is about
and what can be done about it there (reply, like, boost, follow back, answer a request)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.services import (
    moderation_notices,
    notification_pages,
    notification_requests,
    notifications,
    shields,
    welcome,
)
from server.web.context import community_norms, db, now, redirect, render, viewer
from server.web.params import query_id


def address(tab: str, max_id: int | None = None) -> str:
    """The page's address for `tab` (and a page of it), as its links and forms use it."""
    query = {"filter": tab} if tab != "all" else {}
    if max_id is not None:
        query["max_id"] = str(max_id)
    return "/notifications" + (f"?{urlencode(query)}" if query else "")


async def notifications_page(request: Request) -> Response:
    tab = request.query_params.get("filter") or "all"
    if tab not in notification_pages.TABS:
        raise HTTPException(400, "Notifications can be filtered by “all” or “mentions” only.")
    max_id = query_id(request, "max_id")
    async with db(request) as session:
        me = await viewer(request, session)
        if me is None:
            return redirect("/login?next=" + address(tab))
        assert me.actor.id is not None
        moment = now(request)
        page = await notification_pages.page_of(
            session, me.actor.id, tab=tab, max_id=max_id, now=moment
        )
        kept_apart = await notification_requests.summary(session, me.actor.id, moment)
        # Marked read before rendering, so the badge clears; the loaded items keep their
        # unread highlight for this one view. The Mentions tab leaves the rest unread.
        kinds = notification_pages.TABS[tab]
        await notifications.mark_all_read(session, me.actor.id, moment, kinds=kinds)
        shown = [i.notification for i in page.items]
        told = [n.id for n in shown if n.kind in moderation_notices.KINDS.values() and n.id]
        context = {
            "page": page,
            "filter_name": tab,
            "here": address(tab, max_id),
            "older": address(tab, page.next_max_id) if page.next_max_id else None,
            "tabs": {name: address(name) for name in notification_pages.TABS},
            "answerable": notification_pages.ANSWERABLE,
            "notices": await moderation_notices.of(session, told),
            "kept_apart": kept_apart,
            "shielded": await shields.of_notifications(session, shown, moment),
            "welcome_asks": {},
        }
        if welcome.asked(await community_norms(request, session)):  # the person replied to
            about = [i.view.post for i in page.items if i.view is not None]
            asks = await welcome.asks_among(session, me.actor.id, about)
            context["welcome_asks"] = await welcome.answers_of(session, me.actor.id, asks)
        return await render(request, session, "notifications.html", context, me=me)
