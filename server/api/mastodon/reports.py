"""Reports from apps: POST /api/v1/reports, answering Mastodon's Report entity."""

from __future__ import annotations

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities import moderation as entities
from server.ids import MAX_ID, MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.services import accounts, report_files, reports


@endpoint("write:reports")
async def create(call: Call) -> Response:
    """File a report about an account and any of its posts."""
    raw = call.params.text("account_id")
    target_id = parse_id(raw, most=MAX_SERIAL_ID) if raw else None
    if target_id is None:
        raise ApiError(422, "account_id must name the account you are reporting.")
    post_ids = []
    for item in call.params.texts("status_ids"):
        found = parse_id(item, most=MAX_ID)
        if found is None:
            raise ApiError(422, f"status_ids: {item} is not a post id.")
        post_ids.append(found)
    target = await accounts.actor_by_id(call.session, target_id)
    assert call.actor.id is not None
    made = await reports.file(
        call.session,
        call.settings,
        reporter_id=call.actor.id,
        target_id=target_id,
        post_ids=post_ids,
        comment=call.params.text("comment") or "",
        category=call.params.text("category"),
        rule_ids=call.params.texts("rule_ids"),
        forward=call.params.flag("forward"),
        now=call.now,
    )
    kept = await report_files.reported_post_ids(call.session, made)
    return JSONResponse(entities.report(made, kept, await render.account(call, target)))
