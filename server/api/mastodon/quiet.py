"""Quieter notifications: muting a conversation, the notification policy (v2 and v1
shapes), and the filtered notification requests."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.common import timestamp
from server.api.mastodon.paging import paged, window
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import PolicyAction
from server.services import notification_policy, notification_requests, post_reads, thread_mutes
from server.services.notification_policy import FILTERS, Policy
from server.services.notification_requests import Request
from server.services.post_views import views_of


async def _thread(call: Call, muted: bool) -> Response:
    assert call.actor.id is not None
    post = await post_reads.get_visible(call.session, call.actor.id, call.status_id())
    change = thread_mutes.mute if muted else thread_mutes.unmute
    await change(call.session, call.actor, post, call.now)
    return JSONResponse(await render.status_by_id(call, post.id))


@endpoint("write:mutes")
async def mute_conversation(call: Call) -> Response:
    """POST /api/v1/statuses/:id/mute: nothing more from this thread notifies the member."""
    return await _thread(call, True)


@endpoint("write:mutes")
async def unmute_conversation(call: Call) -> Response:
    return await _thread(call, False)


async def _policy_v2(call: Call, policy: Policy) -> dict[str, Any]:
    assert call.actor.id is not None
    waiting = await notification_requests.summary(call.session, call.actor.id, call.now)
    found: dict[str, Any] = {name: str(policy[name]) for name in FILTERS}
    found["summary"] = {
        "pending_requests_count": waiting.requests,
        "pending_notifications_count": waiting.notifications,
    }
    return found


@endpoint("read:notifications")
async def policy_v2(call: Call) -> Response:
    assert call.actor.id is not None
    policy = await notification_policy.policy_of(call.session, call.actor.id)
    return JSONResponse(await _policy_v2(call, policy))


@endpoint("write:notifications")
async def change_policy_v2(call: Call) -> Response:
    """PATCH /api/v2/notifications/policy: any of the five filters, each accept, filter
    or drop."""
    assert call.actor.id is not None
    changes = {name: call.params.text(name) for name in FILTERS if call.params.text(name)}
    policy = await notification_policy.change_policy(call.session, call.actor.id, changes, call.now)
    return JSONResponse(await _policy_v2(call, policy))


#: Mastodon 4.2's booleans (filter_*) for the filters it had then.
V1_NAMES = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}


async def _policy_v1(call: Call, policy: Policy) -> dict[str, Any]:
    found: dict[str, Any] = {
        old: policy[new] != PolicyAction.accept for old, new in V1_NAMES.items()
    }
    found["summary"] = (await _policy_v2(call, policy))["summary"]
    return found


@endpoint("read:notifications")
async def policy_v1(call: Call) -> Response:
    assert call.actor.id is not None
    policy = await notification_policy.policy_of(call.session, call.actor.id)
    return JSONResponse(await _policy_v1(call, policy))


@endpoint("write:notifications")
async def change_policy_v1(call: Call) -> Response:
    """PATCH /api/v1/notifications/policy: true filters, false accepts."""
    assert call.actor.id is not None
    changes: dict[str, str | None] = {}
    for old, new in V1_NAMES.items():
        if call.params.text(old) is not None:
            changes[new] = "filter" if call.params.flag(old) else "accept"
    policy = await notification_policy.change_policy(call.session, call.actor.id, changes, call.now)
    return JSONResponse(await _policy_v1(call, policy))


async def _requests(call: Call, items: list[Request]) -> list[dict[str, Any]]:
    """NotificationRequest entities; a last post the member may not open is left out."""
    people = await render.accounts(call, [r.from_actor for r in items])
    post_ids = [r.last_post_id for r in items if r.last_post_id is not None]
    views = await views_of(call.session, call.viewer_id, post_ids)
    statuses = {int(s["id"]): s for s in await render.statuses(call, views)}
    return [
        {
            "id": str(item.id),
            "created_at": timestamp(item.last_at),
            "updated_at": timestamp(item.last_at),
            "account": account,
            "notifications_count": str(item.count),
            "last_status": statuses.get(item.last_post_id or 0),
        }
        for item, account in zip(items, people, strict=True)
    ]


@endpoint("read:notifications")
async def requests(call: Call) -> Response:
    assert call.actor.id is not None
    page = window(call.params, default=40, most=80)
    items = await notification_requests.listed(call.session, call.actor.id, page, call.now)
    return paged(call.request, await _requests(call, items), [r.id for r in items])


@endpoint("read:notifications")
async def request(call: Call) -> Response:
    assert call.actor.id is not None
    item = await notification_requests.one(call.session, call.actor.id, call.path_id(), call.now)
    return JSONResponse((await _requests(call, [item]))[0])


@endpoint("write:notifications")
async def accept(call: Call) -> Response:
    assert call.actor.id is not None
    request_id = call.path_id()
    await notification_requests.one(call.session, call.actor.id, request_id)
    await notification_requests.accept(call.session, call.actor.id, [request_id], call.now)
    return JSONResponse({})


@endpoint("write:notifications")
async def dismiss(call: Call) -> Response:
    assert call.actor.id is not None
    request_id = call.path_id()
    await notification_requests.one(call.session, call.actor.id, request_id)
    await notification_requests.dismiss(call.session, call.actor.id, [request_id])
    return JSONResponse({})


def _ids(call: Call) -> list[int]:
    # Mastodon.py (2.x) sends its batch as `id[][]`: its own list suffix on top of ours.
    raw_ids = call.params.texts("id") + call.params.texts("id[]")
    parsed = (parse_id(raw, most=MAX_SERIAL_ID) for raw in dict.fromkeys(raw_ids))
    ids = [i for i in parsed if i is not None]
    if not ids:
        raise ApiError(422, "Name the requests with id[].")
    return ids[:100]


@endpoint("write:notifications")
async def accept_many(call: Call) -> Response:
    assert call.actor.id is not None
    await notification_requests.accept(call.session, call.actor.id, _ids(call), call.now)
    return JSONResponse({})


@endpoint("write:notifications")
async def dismiss_many(call: Call) -> Response:
    assert call.actor.id is not None
    await notification_requests.dismiss(call.session, call.actor.id, _ids(call))
    return JSONResponse({})


@endpoint("read:notifications")
async def merged(call: Call) -> Response:
    """Accepting merges at once here (no background job), so the answer is always yes."""
    return JSONResponse({"merged": True})


_REQUESTS = "/api/v1/notifications/requests"
#: Placed before /api/v1/notifications/{id}, which would take these paths for ids.
routes = [
    Route("/api/v2/notifications/policy", policy_v2, methods=["GET"]),
    Route("/api/v2/notifications/policy", change_policy_v2, methods=["PATCH"]),
    Route("/api/v1/notifications/policy", policy_v1, methods=["GET"]),
    Route("/api/v1/notifications/policy", change_policy_v1, methods=["PATCH"]),
    Route(_REQUESTS, requests, methods=["GET"]),
    Route(f"{_REQUESTS}/merged", merged, methods=["GET"]),
    Route(f"{_REQUESTS}/accept", accept_many, methods=["POST"]),
    Route(f"{_REQUESTS}/dismiss", dismiss_many, methods=["POST"]),
    Route(f"{_REQUESTS}/{{id}}", request, methods=["GET"]),
    Route(f"{_REQUESTS}/{{id}}/accept", accept, methods=["POST"]),
    Route(f"{_REQUESTS}/{{id}}/dismiss", dismiss, methods=["POST"]),
]
