"""Quieter notifications on the web: muting people for a while, muting conversations,
the filtered inbox, and the member's notification filters."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.ids import MAX_SERIAL_ID
from server.services import (
    accounts,
    mutes,
    notification_policy,
    notification_requests,
    post_reads,
    thread_mutes,
)
from server.services.errors import Invalid, NotFound
from server.services.notification_policy import FILTERS
from server.services.paging import Window
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form, text
from server.web.params import path_id, query_id
from server.web.social import back

#: The durations the "…" menu offers, in seconds (0: until unmuted).
DURATIONS = {3600: "1 hour", 86400: "1 day", 604800: "7 days", 0: "good"}

#: What each filter is about, in the words of the settings page.
FILTER_LABELS = {
    "for_not_following": "People you don't follow",
    "for_not_followers": "People who don't follow you",
    "for_new_accounts": "New accounts (less than 30 days old)",
    "for_private_mentions": "Private mentions from people you don't follow",
    "for_limited_accounts": "People on servers this community limits",
}


async def mute(request: Request) -> Response:
    """POST /@{username}/mute: for `duration` seconds (one of the menu's), and their
    notifications too unless unticked."""
    form = await read_form(request)
    raw = text(form, "duration", "0")
    duration = int(raw) if raw.isdigit() else -1
    if duration not in DURATIONS:
        raise Invalid("Choose how long to mute: 1 hour, 1 day, 7 days or forever.")
    async with db(request) as session:
        me = await require_member(request, session)
        person = await accounts.actor_by_handle(session, request.path_params["username"])
        await mutes.mute(
            session,
            me.actor,
            person,
            now(request),
            notifications=form.get("notifications") == "on",
            duration=duration,
        )
        flash(request, f"Muted @{person.handle} for {DURATIONS[duration]}.")
        return back(request, f"/@{person.handle}")


async def unmute(request: Request) -> Response:
    """POST /@{username}/unmute."""
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        person = await accounts.actor_by_handle(session, request.path_params["username"])
        await mutes.unmute(session, me.actor, person, now(request))
        flash(request, f"You no longer mute @{person.handle}.")
        return back(request, f"/@{person.handle}")


async def conversation(request: Request) -> Response:
    """POST /posts/{post_id}/mute_conversation or /unmute_conversation."""
    await read_form(request)
    post_id = path_id(request, "post_id")
    muting = request.url.path.endswith("/mute_conversation")
    async with db(request) as session:
        me = await require_member(request, session)
        post = await post_reads.get_visible(session, me.actor_id, post_id)
        change = thread_mutes.mute if muting else thread_mutes.unmute
        await change(session, me.actor, post, now(request))
    flash(
        request,
        "Conversation muted: nothing more from it will notify you."
        if muting
        else "Conversation unmuted.",
    )
    return back(request, "/notifications")


async def filtered_page(request: Request) -> Response:
    """GET /notifications/filtered: who is waiting, how many notifications each."""
    async with db(request) as session:
        me = await require_member(request, session)
        window = Window(limit=40, max_id=query_id(request, "max_id"))
        waiting = await notification_requests.listed(session, me.actor_id, window, now(request))
        context = {"waiting": waiting, "more": len(waiting) == window.limit}
        return await render(request, session, "notifications_filtered.html", context, me=me)


async def answer(request: Request) -> Response:
    """POST /notifications/requests/{from_id}/accept or /dismiss."""
    await read_form(request)
    from_id = path_id(request, "from_id", most=MAX_SERIAL_ID)
    action = request.path_params["action"]
    if action not in ("accept", "dismiss"):
        raise NotFound("There is no such thing to do with a notification request.")
    accepting = action == "accept"
    async with db(request) as session:
        me = await require_member(request, session)
        found = await notification_requests.one(session, me.actor_id, from_id, now(request))
        if accepting:
            await notification_requests.accept(session, me.actor_id, [from_id], now(request))
            flash(request, f"Accepted @{found.from_actor.handle}: their notifications are in.")
        else:
            await notification_requests.dismiss(session, me.actor_id, [from_id])
            flash(request, f"Dismissed the notifications from @{found.from_actor.handle}.")
    return redirect("/notifications/filtered")


async def settings_page(request: Request) -> Response:
    """GET /settings/notifications: each filter, the member's choice or the community's."""
    async with db(request) as session:
        me = await require_member(request, session)
        policy = await notification_policy.policy_of(session, me.actor_id)
        defaults = await notification_policy.community_defaults(session)
        context = {"policy": policy, "defaults": defaults, "labels": FILTER_LABELS}
        return await render(request, session, "settings_notifications.html", context, me=me)


async def save_settings(request: Request) -> Response:
    """POST /settings/notifications: each filter accept, filter, drop or default."""
    form = await read_form(request)
    changes = {name: text(form, name, "default") for name in FILTERS}
    async with db(request) as session:
        me = await require_member(request, session)
        await notification_policy.change_policy(session, me.actor_id, changes, now(request))
    flash(request, "Your notification filters are saved.")
    return redirect("/settings/notifications")


#: Placed before /posts/{post_id}/{action}, which would take the conversation paths.
routes = [
    Route("/notifications/filtered", filtered_page, methods=["GET"]),
    Route("/notifications/requests/{from_id}/{action:str}", answer, methods=["POST"]),
    Route("/settings/notifications", settings_page, methods=["GET"]),
    Route("/settings/notifications", save_settings, methods=["POST"]),
    Route("/posts/{post_id}/mute_conversation", conversation, methods=["POST"]),
    Route("/posts/{post_id}/unmute_conversation", conversation, methods=["POST"]),
]
