"""Turning pages of posts, people and notifications into entities, a few queries a page.

Handlers call these instead of building entities one by one: the figures every entity
needs (counts, mentions, media, bookmarks) are read once for the whole page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.api.mastodon.context import ApiError, Call
from server.api.mastodon.entities import accounts as account_entities
from server.api.mastodon.entities import statuses as status_entities
from server.api.mastodon.entities.common import Site, timestamp
from server.api.mastodon.entities.statuses import Figures
from server.models import Actor, NotificationKind
from server.services import bookmarks, post_reads, stats
from server.services.notifications import NotificationView
from server.services.timelines import PostView, views_of

#: Porch's notification kinds under Mastodon's names.
NOTIFICATION_TYPES = {
    NotificationKind.follow: "follow",
    NotificationKind.follow_request: "follow_request",
    NotificationKind.mention: "mention",
    NotificationKind.reply: "mention",
    NotificationKind.favourite: "favourite",
    NotificationKind.reblog: "reblog",
    NotificationKind.update: "update",
}


def site(call: Call) -> Site:
    return Site(call.urls)


async def accounts(call: Call, people: Sequence[Actor]) -> list[dict[str, Any]]:
    ids = [a.id for a in people if a.id is not None]
    figures = await stats.of_accounts(call.session, ids)
    here = site(call)
    return [account_entities.account(a, figures[a.id], here) for a in people if a.id is not None]


async def account(call: Call, actor: Actor) -> dict[str, Any]:
    return (await accounts(call, [actor]))[0]


async def statuses(call: Call, views: Sequence[PostView]) -> list[dict[str, Any]]:
    shown = [v.reblog or v for v in views]
    everyone = {v.author.id: v.author for v in [*views, *shown]}
    authors = await accounts(call, list(everyone.values()))
    figures = Figures(
        site=site(call),
        # The page's views carry their media already.
        details=await post_reads.details_of(
            call.session, [v.post for v in shown], with_media=False
        ),
        accounts={int(a["id"]): a for a in authors},
    )
    if call.viewer_id is not None:
        figures.bookmarked = await bookmarks.among(
            call.session, call.viewer_id, [v.post.id for v in shown]
        )
    now_iso = timestamp(call.now)
    return [status_entities.status(v, figures, now_iso) for v in views]


async def status(call: Call, view: PostView) -> dict[str, Any]:
    return (await statuses(call, [view]))[0]


async def status_by_id(call: Call, post_id: int) -> dict[str, Any]:
    """The status the caller may see, rendered; 404 otherwise."""
    found = await views_of(call.session, call.viewer_id, [post_id])
    if not found:
        raise ApiError(404, "Record not found")
    return await status(call, found[0])


async def notifications(call: Call, items: Sequence[NotificationView]) -> list[dict[str, Any]]:
    post_ids = [n.post.id for n in items if n.post is not None]
    views = {v.post.id: v for v in await views_of(call.session, call.viewer_id, post_ids)}
    rendered = {int(s["id"]): s for s in await statuses(call, list(views.values()))}
    people = await accounts(call, list({n.from_actor.id: n.from_actor for n in items}.values()))
    by_id = {int(a["id"]): a for a in people}
    out = []
    for item in items:
        note = item.notification
        if item.post is not None and item.post.id not in rendered:
            continue  # the post went out of sight (deleted, or its author blocked)
        entity = {
            "id": str(note.id),
            "type": NOTIFICATION_TYPES[note.kind],
            "created_at": timestamp(note.created_at),
            "group_key": f"ungrouped-{note.id}",
            "account": by_id[note.from_actor_id],
        }
        if item.post is not None:
            entity["status"] = rendered[item.post.id]
        out.append(entity)
    return out
