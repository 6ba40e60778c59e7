"""Timelines: home, public, hashtags, and the member's bookmarks and favourites."""

from __future__ import annotations

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.paging import paged, window
from server.json_response import JSONResponse
from server.services import bookmarks, reactions, timelines
from server.services.timelines import Page
from server.text import clean


async def _page(call: Call, page: Page) -> Response:
    body = await render.statuses(call, page.items)
    return paged(call.request, body, [v.post.id for v in page.items])


@endpoint("read:statuses")
async def home(call: Call) -> Response:
    page = await timelines.home(call.session, call.actor, call.now, window(call.params))
    return await _page(call, page)


@endpoint("read:statuses", public=True)
async def public(call: Call) -> Response:
    params = call.params
    page = await timelines.public(
        call.session,
        call.viewer_id,
        window(params),
        local_only=params.flag("local"),
        remote_only=params.flag("remote"),
        only_media=params.flag("only_media"),
    )
    return await _page(call, page)


@endpoint("read:statuses", public=True)
async def tag(call: Call) -> Response:
    name = str(call.request.path_params["tag"]).lstrip("#")
    if not name or len(name) > 100 or clean(name) != name:
        raise ApiError(404, "Record not found")
    page = await timelines.tagged(call.session, call.viewer_id, name, window(call.params))
    return await _page(call, page)


@endpoint("read:statuses", public=True)
async def tag_info(call: Call) -> Response:
    """GET /api/v1/tags/:name: the Tag entity (Porch keeps no history or follows of tags)."""
    name = str(call.request.path_params["tag"]).lstrip("#").lower()
    if not name or len(name) > 100 or clean(name) != name:
        raise ApiError(404, "Record not found")
    return JSONResponse(
        {"name": name, "url": call.urls.tag(name), "history": [], "following": False}
    )


async def _kept(call: Call, rows: list[tuple[int, int]]) -> Response:
    """Posts the member kept (bookmarks, likes), paged by when they kept them."""
    views = await timelines.views_of(call.session, call.viewer_id, [p for _, p in rows])
    body = await render.statuses(call, views)
    return paged(call.request, body, [i for i, _ in rows])


@endpoint("read:bookmarks")
async def bookmarked(call: Call) -> Response:
    assert call.actor.id is not None
    return await _kept(
        call, await bookmarks.listed(call.session, call.actor.id, window(call.params))
    )


@endpoint("read:favourites")
async def favourites(call: Call) -> Response:
    assert call.actor.id is not None
    rows = await reactions.liked_by(call.session, call.actor.id, window(call.params))
    return await _kept(call, rows)
