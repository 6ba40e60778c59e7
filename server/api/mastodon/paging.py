"""Mastodon's paging parameters and Link headers."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from server.api.mastodon.params import Params
from server.ids import parse_id
from server.json_response import JSONResponse
from server.services.paging import Window


def _cursor(params: Params, name: str) -> int | None:
    """A cursor, read as every door reads ids; Window brings large ones into each
    column's range. Ids are opaque strings to apps, and one Porch never made pages from
    nothing: `max_id` gives an empty page (Mastodon reads it as 0, so an app paging
    back stops instead of starting over), `since_id` and `min_id` are left out."""
    raw = params.text(name)
    if not raw:
        return None
    found = parse_id(raw)
    return 0 if found is None and name == "max_id" else found


def window(params: Params, *, default: int = 20, most: int = 40) -> Window:
    """The window the request asks for; a limit out of range is brought into it."""
    limit = params.number("limit", default) or default
    return Window(
        limit=max(1, min(limit, most)),
        max_id=_cursor(params, "max_id"),
        since_id=_cursor(params, "since_id"),
        min_id=_cursor(params, "min_id"),
    )


def link_header(request: Request, ids: Sequence[int | str]) -> str | None:
    """`next` (older, first, as older masto.js expects) and `prev` (newer) links."""
    if not ids:
        return None
    base = request.url.remove_query_params(["max_id", "since_id", "min_id"])
    older = base.include_query_params(max_id=str(ids[-1]))
    newer = base.include_query_params(min_id=str(ids[0]))
    return f'<{older}>; rel="next", <{newer}>; rel="prev"'


def paged(
    request: Request, body: list[dict[str, object]], ids: Sequence[int | str]
) -> JSONResponse:
    """A JSON list with the Link header for its page."""
    response = JSONResponse(body)
    link = link_header(request, ids)
    if link:
        response.headers["Link"] = link
    return response
