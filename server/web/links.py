"""Links in posts open through Porch, so a card can tell whether someone read first."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.services import cards, post_reads
from server.web.context import db, now, viewer
from server.web.params import query_id


async def go(request: Request) -> Response:
    """GET /go?to=URL&from=POST: only to a link the post really carries (never an open
    redirect), noting for a signed-in member that they opened it."""
    target = request.query_params.get("to", "")
    post_id = query_id(request, "from")
    if post_id is None:
        raise HTTPException(404)
    async with db(request) as session:
        me = await viewer(request, session)
        post = await post_reads.get_visible(session, me.actor_id if me else None, post_id)
        if target not in cards.links_in(post):
            raise HTTPException(404, "That link is not in this post.")
        if me is not None:
            assert me.actor_id is not None
            await cards.opened(session, me.actor_id, target, now(request))
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})
