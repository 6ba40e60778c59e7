"""Quote posts in the client API, as Mastodon 4.5 has them: the Quote entity laid over
statuses, the quotes of a member's post, and revoking a quote of it."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from server.api.mastodon import render
from server.api.mastodon.context import Call, endpoint
from server.api.mastodon.paging import paged, window
from server.ids import MAX_ID
from server.json_response import JSONResponse
from server.services import quote_requests, quotes
from server.services.post_views import views_of


@endpoint("read:statuses")
async def listing(call: Call) -> Response:
    """GET /api/v1/statuses/:id/quotes: accepted quotes of the caller's own post."""
    page = window(call.params, default=20, most=40)
    ids = await quotes.quoting_posts(call.session, call.actor, call.status_id(), page)
    views = await views_of(call.session, call.viewer_id, ids)
    return paged(call.request, await render.statuses(call, views), [v.post.id for v in views])


@endpoint("write:statuses")
async def revoke(call: Call) -> Response:
    """POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke: the quoting status,
    its quote now revoked."""
    quoting_id = call.path_id("quoting_id", most=MAX_ID)
    await quote_requests.revoke(call.session, call.actor, call.status_id(), quoting_id, call.now)
    return JSONResponse(await render.status_by_id(call, quoting_id))


V1 = "/api/v1"
routes = [
    Route(f"{V1}/statuses/{{id}}/quotes", listing, methods=["GET"]),
    Route(f"{V1}/statuses/{{id}}/quotes/{{quoting_id}}/revoke", revoke, methods=["POST"]),
]
