"""One Settings area: its index, preferences, and the people a member mutes or blocks,
each with a way back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.models import Visibility
from server.services import accounts, blocks, exports, mutes, preferences
from server.services.accounts import Signed
from server.services.errors import ServiceError, Several
from server.services.paging import Window
from server.web.context import db, flash, now, redirect, render, require_member, settings
from server.web.forms import read_form, text
from server.web.params import query_id

#: How many people a list shows at once.
PAGE = 40


@dataclass(frozen=True)
class Section:
    path: str
    title: str
    about: str


#: The Settings area, in the order its index lists it.
SECTIONS = (
    Section("/settings/profile", "Profile", "Name, bio, avatar, header and profile fields."),
    Section(
        "/settings/preferences",
        "Preferences",
        "How new posts start, your language, like counts and your home timeline.",
    ),
    Section(
        "/settings/interactions",
        "Who may reply, boost and quote",
        "The rules your new posts start with.",
    ),
    Section("/settings/muted", "Muted people", "People whose posts you do not see."),
    Section("/settings/blocked", "Blocked people", "People who cannot see or reach you."),
    Section(
        "/settings/notifications",
        "Notification filters",
        "Whose notifications wait in a separate list.",
    ),
    Section("/settings/apps", "Apps", "Apps you let into your account, and taking that back."),
    Section("/settings/sessions", "Sessions", "Where you are logged in, and logging out there."),
    Section("/settings/password", "Password", "Change your password."),
    Section("/settings/email", "Email", "The address Porch writes to."),
    Section("/settings/standing", "Your standing", "Moderators' decisions about your account."),
    Section("/settings/export", "Export your data", "Your profile, posts, follows, blocks, mutes."),
)

VISIBILITY_WORDS = {
    Visibility.public: "Public: anyone, on the local timeline too",
    Visibility.unlisted: "Unlisted: anyone with the link, kept off public timelines",
    Visibility.followers: "Followers only",
}


def _served(request: Request) -> set[str]:
    """The GET paths this Porch serves, so the index lists no section it does not have."""
    return {r.path for r in request.app.routes if isinstance(r, Route)}


async def index(request: Request) -> Response:
    """GET /settings: every part of the Settings area, in one list."""
    async with db(request) as session:
        me = await require_member(request, session)
        served = _served(request)
        listed = [s for s in SECTIONS if s.path in served]
        return await render(request, session, "settings_index.html", {"sections": listed}, me=me)


async def preferences_page(request: Request) -> Response:
    """GET /settings/preferences."""
    async with db(request) as session:
        me = await require_member(request, session)
        found = await preferences.chosen(session, me.member)
        values = {
            "default_visibility": found.default_visibility.value,
            "language": found.language,
            "show_counts": found.show_counts,
            "home_order": found.home_order,
        }
        return await _preferences(request, session, me, values)


async def _preferences(
    request: Request,
    session: AsyncSession,
    me: Signed,
    values: Mapping[str, object],
    error: ServiceError | None = None,
) -> Response:
    failed = error.errors if isinstance(error, Several) else [error] if error else []
    errors = {one.field or "": one.message for one in failed}
    context = {
        "values": values,
        "errors": errors,
        "visibilities": VISIBILITY_WORDS,
        "languages": preferences.LANGUAGES,
    }
    status = error.status if error else 200
    return await render(
        request, session, "settings_preferences.html", context, status=status, me=me
    )


async def save_preferences(request: Request) -> Response:
    """POST /settings/preferences: every wrong choice is shown at once; nothing is kept
    until all are right."""
    form = await read_form(request)
    values: dict[str, object] = {
        "default_visibility": text(form, "default_visibility"),
        "language": text(form, "language"),
        "show_counts": form.get("show_counts") == "on",
        "home_order": text(form, "home_order"),
    }
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            await preferences.save(
                session,
                me.member,
                default_visibility=str(values["default_visibility"]),
                language=str(values["language"]),
                show_counts=bool(values["show_counts"]),
                home_order=str(values["home_order"]),
                now=now(request),
            )
        except ServiceError as error:
            return await _preferences(request, session, me, values, error)
        flash(request, "Your preferences are saved.")
        return redirect("/settings/preferences")


async def muted_page(request: Request) -> Response:
    """GET /settings/muted: the people the member mutes now, each with Unmute."""
    async with db(request) as session:
        me = await require_member(request, session)
        window = Window(limit=PAGE, max_id=query_id(request, "max_id"))
        rows = await mutes.listed(session, me.actor_id, window, now(request))
        context = {
            "kind": "muted",
            "people": [(person, until) for _, person, until in rows],
            "next_max_id": rows[-1][0] if len(rows) == PAGE else None,
        }
        return await render(request, session, "settings_people.html", context, me=me)


async def blocked_page(request: Request) -> Response:
    """GET /settings/blocked: the people the member blocked, each with Unblock."""
    async with db(request) as session:
        me = await require_member(request, session)
        window = Window(limit=PAGE, max_id=query_id(request, "max_id"))
        rows = await blocks.listed(session, me.actor_id, window)
        context = {
            "kind": "blocked",
            "people": [(person, None) for _, person in rows],
            "next_max_id": rows[-1][0] if len(rows) == PAGE else None,
        }
        return await render(request, session, "settings_people.html", context, me=me)


async def undo(request: Request) -> Response:
    """POST /settings/muted/{username}/unmute or /settings/blocked/{username}/unblock:
    back to the list, the person gone from it."""
    await read_form(request)
    kind = "muted" if request.url.path.startswith("/settings/muted/") else "blocked"
    async with db(request) as session:
        me = await require_member(request, session)
        person = await accounts.actor_by_handle(session, request.path_params["username"])
        if kind == "muted":
            await mutes.unmute(session, me.actor, person, now(request))
            flash(request, f"You no longer mute @{person.handle}.")
        else:
            await blocks.unblock(session, me.actor, person, now(request))
            flash(request, f"You no longer block @{person.handle}.")
        return redirect(f"/settings/{kind}")


async def export_page(request: Request) -> Response:
    """GET /settings/export: what the export holds, and the button to download it."""
    async with db(request) as session:
        me = await require_member(request, session)
        return await render(request, session, "settings_export.html", {}, me=me)


async def export_download(request: Request) -> Response:
    """GET /settings/export/download: the member's data as one ZIP, never cached."""
    async with db(request) as session:
        me = await require_member(request, session)
        moment = now(request)
        data = await exports.archive(session, me, domain=settings(request).domain, now=moment)
    name = f"porch-{me.actor.username}-{moment:%Y-%m-%d}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/settings/export", export_page, methods=["GET"]),
    Route("/settings/export/download", export_download, methods=["GET"]),
    Route("/settings", index, methods=["GET"]),
    Route("/settings/preferences", preferences_page, methods=["GET"]),
    Route("/settings/preferences", save_preferences, methods=["POST"]),
    Route("/settings/muted", muted_page, methods=["GET"]),
    Route("/settings/blocked", blocked_page, methods=["GET"]),
    Route("/settings/muted/{username}/unmute", undo, methods=["POST"]),
    Route("/settings/blocked/{username}/unblock", undo, methods=["POST"]),
]
