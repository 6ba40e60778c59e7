"""Instance information, preferences, markers, and the lists apps expect even when empty."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.responses import Response

from server.api.mastodon import policies, render
from server.api.mastodon.context import Call, endpoint
from server.api.mastodon.entities import instance as entities
from server.api.mastodon.entities.common import timestamp
from server.api.mastodon.policies import VISIBILITY_NAMES
from server.json_response import JSONResponse
from server.models import Marker, Visibility
from server.render_cache import cache_of
from server.services import instance, markers
from server.services.preferences import of as preferences_of

#: The usage figures are counted over the whole community, and apps ask for the instance
#: each time they start: kept this long, as NodeInfo's are (federation/document_cache.py).
USAGE_KEPT = timedelta(seconds=60)


async def _usage(call: Call) -> instance.Usage:
    """The community's usage figures, counted at most once a USAGE_KEPT per process; they
    are public and the same for every caller."""
    kept = cache_of(call.request.app.state, "instance_usage", 1)
    found: tuple[datetime, instance.Usage] | None = kept.get("usage")
    if found is not None and timedelta(0) <= call.now - found[0] < USAGE_KEPT:
        return found[1]
    usage = await instance.usage(call.session, call.now)
    kept.put("usage", (call.now, usage))
    return usage


async def _contact(call: Call) -> dict[str, object] | None:
    admin = await instance.contact(call.session)
    return await render.account(call, admin) if admin is not None else None


@endpoint(public=True)
async def instance_v2(call: Call) -> Response:
    usage = await _usage(call)
    found = await call.norms()
    body = entities.instance_v2(
        call.settings, found, render.site(call), usage, instance.rules(found), await _contact(call)
    )
    return JSONResponse(body)


@endpoint(public=True)
async def instance_v1(call: Call) -> Response:
    usage = await _usage(call)
    found = await call.norms()
    body = entities.instance_v1(
        call.settings,
        found,
        render.site(call),
        usage,
        instance.rules(found),
        await _contact(call),
        await instance.known_servers(call.session),
    )
    return JSONResponse(body)


@endpoint(public=True)
async def rules(call: Call) -> Response:
    return JSONResponse([entities.rule(r) for r in instance.rules(await call.norms())])


@endpoint(public=True)
async def empty_list(call: Call) -> Response:
    """Features Porch does not have (custom emojis, trends, announcements, filters…):
    an empty list, which apps handle, rather than a 404, which some show as an error."""
    return JSONResponse([])


@endpoint(public=True)
async def empty_object(call: Call) -> Response:
    return JSONResponse({})


@endpoint("read:accounts")
async def preferences(call: Call) -> Response:
    assert call.actor.id is not None
    chosen = await preferences_of(call.session, call.actor.id)
    found = entities.preferences(VISIBILITY_NAMES[Visibility(chosen.default_visibility)])
    found["posting:default:language"] = chosen.language or None
    found["posting:default:quote_policy"] = await policies.quote_default(call)
    return JSONResponse(found)


def _marker(marker: Marker) -> dict[str, object]:
    return {
        "last_read_id": marker.last_read_id,
        "version": marker.version,
        "updated_at": timestamp(marker.updated_at),
    }


@endpoint("read:statuses")
async def get_markers(call: Call) -> Response:
    assert call.actor.id is not None
    wanted = call.params.texts("timeline")
    found = await markers.of(call.session, call.actor.id, wanted)
    return JSONResponse({m.timeline: _marker(m) for m in found})


@endpoint("write:statuses")
async def save_markers(call: Call) -> Response:
    assert call.actor.id is not None
    saved = {}
    for timeline in markers.TIMELINES:
        last_read_id = call.params.text(f"{timeline}[last_read_id]")
        if last_read_id is not None:
            saved[timeline] = _marker(
                await markers.save(call.session, call.actor.id, timeline, last_read_id, call.now)
            )
    return JSONResponse(saved)
