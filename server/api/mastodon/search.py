"""Search (v2, and v1's account search): what Porch knows, and with resolve=true what
other servers answer for a handle or a URL."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.json_response import JSONResponse
from server.models import Actor, Post
from server.services import remote_lookup, search
from server.services.errors import ServiceError
from server.services.post_views import views_of

log = logging.getLogger(__name__)

TYPES = ("accounts", "statuses", "hashtags")


async def _resolve(call: Call, query: str) -> Actor | Post | None:
    """A remote person or post, fetched when the caller may make Porch ask (resolve=true)."""
    try:
        return await remote_lookup.find(call.session, call.remote_lookup, query)
    except ServiceError as exc:
        log.info("search could not resolve %r: %s", query, exc.message)
    return None


def _number(call: Call, name: str, default: int, most: int) -> int:
    value = call.params.number(name, default)
    return max(0, min(value if value is not None else default, most))


@endpoint("read:search")
async def search_v2(call: Call) -> Response:
    params = call.params
    query = (params.text("q") or "").strip()
    kind = params.text("type")
    if kind is not None and kind not in TYPES:
        raise ApiError(422, "type must be accounts, statuses or hashtags.")
    limit, offset = _number(call, "limit", 20, 40) or 20, _number(call, "offset", 0, 10_000)
    people: list[Actor] = []
    found_posts: list[int] = []
    tags: list[str] = []
    resolved = None
    if params.flag("resolve") and call.viewer_id is not None and offset == 0:
        resolved = await _resolve(call, query)
    if isinstance(resolved, Actor):
        people.append(resolved)
    elif isinstance(resolved, Post):
        found_posts.append(resolved.id)
    if kind in (None, "accounts") and not people and not query.startswith("http"):
        people = await search.people(
            call.session,
            query,
            limit=limit,
            offset=offset,
            followed_by=call.viewer_id if params.flag("following") else None,
        )
    if kind in (None, "hashtags") and not query.startswith("http"):
        tags = await search.hashtags(call.session, query, limit=limit, offset=offset)
    statuses = await views_of(call.session, call.viewer_id, found_posts)
    body: dict[str, Any] = {
        "accounts": await render.accounts(call, people) if kind in (None, "accounts") else [],
        "statuses": await render.statuses(call, statuses) if kind in (None, "statuses") else [],
        "hashtags": [
            {"name": t, "url": call.urls.tag(t), "history": [], "following": False} for t in tags
        ]
        if kind in (None, "hashtags")
        else [],
    }
    return JSONResponse(body)


@endpoint("read:accounts")
async def accounts_search(call: Call) -> Response:
    """GET /api/v1/accounts/search: people only."""
    query = (call.params.text("q") or "").strip()
    limit = _number(call, "limit", 40, 80) or 40
    people: list[Actor] = []
    if call.params.flag("resolve") and "@" in query.lstrip("@"):
        resolved = await _resolve(call, query)
        people = [resolved] if isinstance(resolved, Actor) else []
    if not people:
        people = await search.people(
            call.session,
            query,
            limit=limit,
            offset=_number(call, "offset", 0, 10_000),
            followed_by=call.viewer_id if call.params.flag("following") else None,
        )
    return JSONResponse(await render.accounts(call, people))
