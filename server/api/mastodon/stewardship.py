"""Hiding replies from one's own thread (Porch's own routes: Mastodon has none)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import Call, endpoint
from server.json_response import JSONResponse
from server.services import stewardship
from server.services.stewardship import ThreadView

#: The filter hidden replies carry for the thread's author, so their apps show them
#: collapsed with a button to read them, as for a filter of their own set to "warn".
HIDDEN_FILTER = {
    "id": "porch-hidden-replies",
    "title": "A reply you hid from your thread",
    "context": ["thread"],
    "expires_at": None,
    "filter_action": "warn",
    "keywords": [],
    "statuses": [],
}


def mark_hidden(view: ThreadView, rendered: dict[str, Any], viewer_id: int | None) -> None:
    """A reply the reader hid from their own thread carries Mastodon's `filtered`, so
    apps collapse it; its own author's apps show it as they wrote it."""
    if view.hidden and viewer_id is not None and viewer_id != view.post.actor_id:
        match = {
            "filter": HIDDEN_FILTER,
            "keyword_matches": None,
            "status_matches": [rendered["id"]],
        }
        rendered["filtered"] = [match]


@endpoint("write:statuses")
async def hide(call: Call) -> Response:
    """POST /api/v1/statuses/:id/hide: the thread's author hides a reply in it."""
    post = await stewardship.hide(
        call.session, call.actor, call.status_id(), await call.norms(), call.now
    )
    return JSONResponse(await render.status_by_id(call, post.id))


@endpoint("write:statuses")
async def unhide(call: Call) -> Response:
    """POST /api/v1/statuses/:id/unhide: the thread's author shows a hidden reply again."""
    post = await stewardship.unhide(call.session, call.actor, call.status_id())
    return JSONResponse(await render.status_by_id(call, post.id))
