"""Scheduled statuses: a member's posts in their pause, for apps that show scheduled posts.

Porch does not schedule posts at a time of the member's choosing: every post waits out
the community's pause. Apps that know Mastodon's scheduled statuses show that pause and
its end here; cancelling one withdraws the post to the member's drafts, as on the web.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.common import timestamp
from server.api.mastodon.entities.statuses import VISIBILITY, media_attachment
from server.api.mastodon.paging import paged, window
from server.json_response import JSONResponse
from server.services import pending_posts, policy_reads, posts
from server.services.interaction_policies import Audience, Policy
from server.services.pending_posts import PendingPost

#: Why PUT cannot move a post's time, in words an app can show.
NOT_RESCHEDULED = (
    "Porch does not reschedule posts: the pause before a post goes out is the same for "
    "everyone here, set by the community. To hold this post back, cancel it (it returns to "
    "your drafts) and post it again when you are ready."
)


def quote_policy(policy: Policy) -> str:
    """The policy's quote rule in Mastodon's three words (who is approved at once)."""
    automatic = policy.quote.automatic
    if Audience.anyone in automatic:
        return "public"
    if Audience.followers in automatic:
        return "followers"
    return "nobody"


def entity(found: PendingPost, policy: Policy, call: Call) -> dict[str, Any]:
    """Mastodon's ScheduledStatus for a post in its pause: the post's own id (its status
    is at /api/v1/statuses/:id for its author), going out when its pause ends."""
    post = found.post
    media = [str(item.id) for item in found.attachments]
    return {
        "id": str(post.id),
        "scheduled_at": timestamp(found.publish_at),
        "params": {
            "text": post.text,
            "poll": None,
            "media_ids": media or None,
            "sensitive": post.sensitive,
            "spoiler_text": post.spoiler_text or None,
            "visibility": VISIBILITY[post.visibility],
            "language": post.language,
            "scheduled_at": None,
            "idempotency": found.idempotency_key,
            "with_rate_limit": False,
            # A string: Porch's ids are 64-bit, past what JSON numbers keep exactly.
            "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
            "application_id": None,
            "quoted_status_id": None,
            "quote_approval_policy": quote_policy(policy),
        },
        "media_attachments": [
            media_attachment(item, render.site(call)) for item in found.attachments
        ],
    }


async def _entities(call: Call, found: list[PendingPost]) -> list[dict[str, Any]]:
    default = policy_reads.community_default(await call.norms())
    policies = await policy_reads.policies_of(call.session, [f.post for f in found], default)
    return [entity(f, policies[f.post.id], call) for f in found]


def _id(call: Call) -> int:
    return call.status_id()


@endpoint("read:statuses")
async def listing(call: Call) -> Response:
    """GET /api/v1/scheduled_statuses: the member's posts in their pause, newest first."""
    assert call.actor.id is not None
    found = await pending_posts.of_member(call.session, call.actor.id, window(call.params))
    body = await _entities(call, found)
    return paged(call.request, body, [f.post.id for f in found])


@endpoint("read:statuses")
async def show(call: Call) -> Response:
    """GET /api/v1/scheduled_statuses/:id: one of them; 404 for anyone else's."""
    assert call.actor.id is not None
    found = await pending_posts.one(call.session, call.actor.id, _id(call))
    return JSONResponse((await _entities(call, [found]))[0])


@endpoint("write:statuses")
async def reschedule(call: Call) -> Response:
    """PUT /api/v1/scheduled_statuses/:id: refused with why (422), after a 404 for a
    post that is not the member's or not in its pause."""
    assert call.actor.id is not None
    await pending_posts.one(call.session, call.actor.id, _id(call))
    raise ApiError(422, NOT_RESCHEDULED)


@endpoint("write:statuses")
async def cancel(call: Call) -> Response:
    """DELETE /api/v1/scheduled_statuses/:id: the post is withdrawn to the member's
    drafts, as on the web; `{}` as Mastodon answers."""
    assert call.actor.id is not None
    found = await pending_posts.one(call.session, call.actor.id, _id(call))
    await posts.withdraw(call.session, call.actor, found.post.id, call.now)
    return JSONResponse({})
