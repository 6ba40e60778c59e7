"""Settings > Sessions: where a member is logged in, ending sessions, a new password."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID, parse_id
from server.services import accounts, sessions
from server.services.errors import RateLimited, ServiceError
from server.web.context import (
    client_address,
    db,
    flash,
    now,
    redirect,
    render,
    require_member,
    session_key,
    sign_in,
    viewer,
)
from server.web.forms import read_form, text

log = logging.getLogger(__name__)

#: (what the User-Agent contains, the name people know), most specific first.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),  # its User-Agent names Chrome/ too
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A browser's User-Agent in a few words ("Firefox on Linux")."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (user_agent[:60] if user_agent else "An unknown browser")


async def sessions_page(request: Request) -> Response:
    """GET /settings/sessions: every browser the member is logged in with."""
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.member.id is not None
        rows = await sessions.of_member(session, me.member.id, now(request))
        key = session_key(request)
        this = sessions.digest(key) if key else None
        listed = [(row, describe_agent(row.user_agent), row.key_hash == this) for row in rows]
        return await render(request, session, "settings_sessions.html", {"sessions": listed}, me=me)


async def end_session(request: Request) -> Response:
    """POST /settings/sessions/{session_id}/end: that browser is logged out at once."""
    await read_form(request)
    session_id = parse_id(str(request.path_params["session_id"]), most=MAX_SERIAL_ID)
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.member.id is not None
        ended = session_id is not None and await sessions.end_one(session, me.member.id, session_id)
        flash(request, "That session has ended." if ended else "That session had ended already.")
        # Ending this browser's own session is logging out.
        return redirect("/settings/sessions" if await viewer(request, session) else "/")


async def end_other_sessions(request: Request) -> Response:
    """POST /settings/sessions/end_others: every browser but this one is logged out."""
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.member.id is not None
        ended = await sessions.end_others(session, me.member.id, session_key(request))
        await session.commit()
        flash(request, f"Ended {ended} other session{'s' if ended != 1 else ''}.")
        return redirect("/settings/sessions")


async def password_page(request: Request) -> Response:
    """GET /settings/password."""
    async with db(request) as session:
        me = await require_member(request, session)
        context = {"error": None, "revoke_apps": True}
        return await render(request, session, "settings_password.html", context, me=me)


async def change_password(request: Request) -> Response:
    """POST /settings/password: a new password ends every other session."""
    form = await read_form(request)
    revoke_apps = text(form, "revoke_apps") == "yes"
    async with db(request) as session:
        me = await require_member(request, session)
        # The current password is checked here: guesses count as login attempts.
        wait = await request.app.state.rate_limits.login_attempt(
            client_address(request), me.actor.username
        )
        if wait:
            error = RateLimited(
                f"Too many password attempts. Wait {max(1, wait // 60)} minute(s) and try again.",
                retry_after=wait,
            )
            context = {"error": error, "revoke_apps": revoke_apps}
            return await render(
                request, session, "settings_password.html", context, status=429, me=me
            )
        try:
            ended = await accounts.change_password(
                session,
                me.member,
                current=text(form, "current_password"),
                new=text(form, "password"),
                keep_session=session_key(request),
                revoke_apps=revoke_apps,
                now=now(request),
            )
        except ServiceError as error:
            log.info("password change refused for %s: %s", me.actor.username, error.message)
            context = {"error": error, "revoke_apps": revoke_apps}
            return await render(
                request, session, "settings_password.html", context, status=error.status, me=me
            )
        log.info("%s changed their password; %d other sessions ended", me.actor.username, ended)
        await sign_in(request, session, me)  # a new key: a copy of this cookie is out too
        apps = " Apps must be let in again." if revoke_apps else ""
        flash(request, f"Your password is changed; you are logged out everywhere else.{apps}")
        return redirect("/settings/sessions")
