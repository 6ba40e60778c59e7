"""The pile-on shield for apps (Porch's own routes and notification type: Mastodon has
neither): reading and turning off a thread's shield, and what its notification carries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.common import timestamp
from server.json_response import JSONResponse
from server.models import PileOnShield
from server.services import post_reads, shields
from server.services.notifications import NotificationView


def entity(shield: PileOnShield, strangers: int) -> dict[str, Any]:
    """Porch's PileOnShield entity: the thread it guards, when it went up and ends, who
    ended it, and how many people unknown to the author it counts (never who)."""
    return {
        "status_id": str(shield.post_id),
        "started_at": timestamp(shield.started_at),
        "ends_at": timestamp(shield.ends_at),
        "ended_at": timestamp(shield.ended_at) if shield.ended_at else None,
        "ended_by": shield.ended_by,
        "strangers": strangers,
        "gathered": shield.gathered,
    }


async def _up_on_own(call: Call) -> PileOnShield:
    post = await post_reads.get_visible(call.session, call.viewer_id, call.status_id())
    shield = await shields.up_on(call.session, post.root_id, call.now)
    if post.actor_id != call.actor.id or shield is None or shield.author_id != call.actor.id:
        raise ApiError(404, "The shield on this thread is not up, or the thread is not yours.")
    return shield


@endpoint("read:statuses")
async def show(call: Call) -> Response:
    """GET /api/v1/statuses/:id/shield: the shield up on the author's own thread."""
    shield = await _up_on_own(call)
    strangers = await shields.strangers_seen(call.session, shield, call.now)
    return JSONResponse(entity(shield, strangers))


@endpoint("write:statuses")
async def turn_off(call: Call) -> Response:
    """POST /api/v1/statuses/:id/shield/off: the thread's author turns its shield off;
    answers the shield as it ended."""
    shield = await _up_on_own(call)
    assert call.actor.id is not None and shield.id is not None
    await shields.turn_off(call.session, call.actor.id, call.status_id(), call.now)
    ended = await call.session.get(PileOnShield, shield.id, populate_existing=True)
    assert ended is not None
    strangers = await shields.strangers_seen(call.session, ended, call.now)
    return JSONResponse(entity(ended, strangers))


async def of_notifications(
    call: Call, items: Sequence[NotificationView]
) -> dict[int, dict[str, Any]]:
    """What each pile_on_shield notification adds to its entity: `pile_on_shield`."""
    found = await shields.of_notifications(call.session, [i.notification for i in items], call.now)
    return {
        note_id: {"pile_on_shield": entity(shield, strangers)}
        for note_id, (shield, strangers) in found.items()
    }
