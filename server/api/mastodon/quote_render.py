"""Mastodon's Quote entity laid over rendered statuses, per caller: a quote never shows
a post its caller may not see (server/services/quotes.py decides)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from server.api.mastodon.context import Call
from server.services import quotes
from server.services.post_views import PostView, views_of

Render = Callable[[Call, Sequence[PostView]], Awaitable[list[dict[str, Any]]]]


async def lay_over(
    call: Call,
    views: Sequence[PostView],
    entities: list[dict[str, Any]],
    statuses: Render | None,
) -> None:
    """Each quoting status gets Mastodon's Quote entity: `quoted_status` only when the
    quote is accepted and the caller may see the quoted post (`statuses` renders it), a
    ShallowQuote (`quoted_status_id`) one level down, where `statuses` is None."""
    shown_views = [v.reblog or v for v in views]
    shown_posts = {v.post.id: e.get("reblog") or e for v, e in zip(views, entities, strict=True)}
    if all(v.quotes_read for v in shown_views):  # read with the page: nothing to read again
        found = {v.post.id: v.quote for v in shown_views if v.quote is not None}
        seen = list({v.quoted.post.id: v.quoted for v in shown_views if v.quoted}.values())
    else:
        found = await quotes.shown(call.session, call.viewer_id, list(shown_posts), call.now)
        wanted = [s.quoted_post_id for s in found.values() if s.quoted_post_id is not None]
        seen = await views_of(call.session, call.viewer_id, list(dict.fromkeys(wanted)))
    if not found:
        return
    quoted: dict[int, dict[str, Any]] = {}
    if statuses is not None and seen:
        quoted = {v.post.id: e for v, e in zip(seen, await statuses(call, seen), strict=True)}
    for post_id, shown in found.items():
        entity = shown_posts[post_id]
        if statuses is None:
            target = str(shown.quoted_post_id) if shown.quoted_post_id is not None else None
            entity["quote"] = {"state": shown.state, "quoted_status_id": target}
            continue
        status = quoted.get(shown.quoted_post_id) if shown.quoted_post_id is not None else None
        state = shown.state if status is not None or shown.state != "accepted" else "unauthorized"
        entity["quote"] = {"state": state, "quoted_status": status}
