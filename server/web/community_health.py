"""GET /about/health: the community's health page, when its admins open it to everyone
(`outcomes.health_page`): what the care led to, the holdouts and the norm experiments,
as aggregates with their intervals, never a name. Served from the public page cache to
logged-out visitors, and cheap to compute (no resampling: server/services/intervals.py)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.web.context import community_norms, db, now, render, viewer
from server.web.dashboard import health_tables
from server.web.pagecache import public_page

CLOSED = "This community has not opened its health page. Its admins can turn it on in the norms."


@public_page
async def health_page(request: Request) -> Response:
    """GET /about/health: 404 with a plain message unless the norm opens it."""
    async with db(request) as session:
        found = await community_norms(request, session)
        if found["outcomes.health_page"] != "on":
            raise HTTPException(404, CLOSED)
        me = await viewer(request, session)
        at = now(request)
        context = {**await health_tables(session, at), "norms_console": False}
        return await render(request, session, "about_health.html", context, me=me)
