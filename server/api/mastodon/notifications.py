"""Notifications: listed with Mastodon's type filters, one by one, dismissed, cleared."""

from __future__ import annotations

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import Call, endpoint
from server.api.mastodon.paging import paged, window
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import NotificationKind
from server.services import notifications, roles


def _kinds(call: Call) -> set[NotificationKind] | None:
    """Porch's kinds for `types[]` and `exclude_types[]` (unknown Mastodon types match none).

    Porch's own types (the outcome of a report or an appeal) reach only apps that ask for
    them by name: an app that decodes the type strictly would fail on the whole list.
    """
    wanted, unwanted = call.params.texts("types"), call.params.texts("exclude_types")
    names = render.NOTIFICATION_TYPES
    usual = set(names) - render.PORCH_ONLY_TYPES
    if not roles.can_moderate(call.member):
        # Someone who no longer moderates no longer reads the reports they were told of.
        names = {k: n for k, n in names.items() if k is not NotificationKind.new_report}
        usual.discard(NotificationKind.new_report)
    if not wanted and not unwanted:
        return usual
    kinds = {k for k, name in names.items() if name in wanted} if wanted else usual
    return {k for k in kinds if names[k] not in unwanted}


@endpoint("read:notifications")
async def listing(call: Call) -> Response:
    assert call.actor.id is not None
    account = call.params.text("account_id")
    from_actor_id = parse_id(account, most=MAX_SERIAL_ID) if account else None
    if account and from_actor_id is None:
        return paged(call.request, [], [])  # nobody Porch knows
    items = await notifications.for_member(
        call.session,
        call.actor.id,
        window(call.params, default=40, most=80),
        kinds=_kinds(call),
        from_actor_id=from_actor_id,
        # The filtered inbox joins the list when asked for, or when the app reads one
        # person's notifications (a request's, as Mastodon 4.3 does).
        filtered=None if call.params.flag("include_filtered") or from_actor_id else False,
        now=call.now,
    )
    body = await render.notifications(call, items)
    return paged(call.request, body, [i.notification.id or 0 for i in items])


@endpoint("read:notifications")
async def show(call: Call) -> Response:
    assert call.actor.id is not None
    item = await notifications.one_for_member(call.session, call.actor.id, call.path_id())
    rendered = await render.notifications(call, [item])
    if not rendered:
        return JSONResponse({"error": "Record not found"}, status_code=404)
    return JSONResponse(rendered[0])


@endpoint("write:notifications")
async def dismiss(call: Call) -> Response:
    assert call.actor.id is not None
    await notifications.dismiss(call.session, call.actor.id, call.path_id())
    return JSONResponse({})


@endpoint("write:notifications")
async def clear(call: Call) -> Response:
    assert call.actor.id is not None
    await notifications.clear(call.session, call.actor.id)
    return JSONResponse({})


@endpoint("read:notifications")
async def unread_count(call: Call) -> Response:
    assert call.actor.id is not None
    return JSONResponse({"count": await notifications.unread_count(call.session, call.actor.id)})
