"""GET /about/health: the community's health page, when its admins open it to everyone
(`outcomes.health_page`): what the care led to, the holdouts and the norm experiments,
as aggregates with their intervals, never a name. Served from the public page cache to
logged-out visitors, and cheap to compute (no resampling: server/services/intervals.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.web.context import community_norms, db, now, render, viewer
from server.web.dashboard import health_tables
from server.web.pagecache import public_page

#: The figures are computed at most once a minute, whoever asks (members skip the
#: public page cache); a follow-up run changes them only hourly anyway.
FRESH = timedelta(minutes=1)
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
        kept: tuple[datetime, dict[str, object]] | None = getattr(
            request.app.state, "health_figures", None
        )
        if kept is None or not at - FRESH < kept[0] <= at:
            kept = (at, await health_tables(session, at))
            request.app.state.health_figures = kept
        context = {**kept[1], "norms_console": False}
        return await render(request, session, "about_health.html", context, me=me)
