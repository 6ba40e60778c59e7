"""The OAuth consent page, and the member's list of apps they let in."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.ids import MAX_SERIAL_ID, parse_id
from server.services import oauth_codes, oauth_tokens
from server.services.errors import ServiceError
from server.services.oauth_apps import OOB
from server.services.oauth_codes import AuthorizationRequest
from server.web.context import (
    db,
    flash,
    now,
    redirect,
    render,
    require_member,
    viewer,
)
from server.web.forms import read_form, text

log = logging.getLogger(__name__)

#: What each scope lets an app do, in words a member can weigh.
SCOPE_WORDS = {
    "read": "read everything your account can see: posts, notifications, people",
    "write": "post, reply, like, boost, follow and change your profile for you",
    "follow": "follow, block and mute people for you",
    "push": "send you push notifications",
    "profile": "know who you are (your name and picture)",
}

_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _describe(scopes: frozenset[str]) -> list[str]:
    words = []
    for scope in sorted(scopes):
        top, _, part = scope.partition(":")
        base = SCOPE_WORDS.get(top, scope)
        words.append(f"{top} your {part.replace('_', ' ')}" if part else base)
    return words


async def _check(session: AsyncSession, values: dict[str, str]) -> AuthorizationRequest:
    return await oauth_codes.check_authorization(
        session,
        client_id=values.get("client_id", ""),
        redirect_uri=values.get("redirect_uri", ""),
        response_type=values.get("response_type", ""),
        scope=values.get("scope") or None,
        state=values.get("state") or None,
        code_challenge=values.get("code_challenge") or None,
        code_challenge_method=values.get("code_challenge_method") or None,
    )


async def authorize_page(request: Request) -> Response:
    """GET /oauth/authorize: log in if needed, then ask the member whether to let the app in."""
    values = {name: request.query_params.get(name, "") for name in _FIELDS}
    async with db(request) as session:
        me = await viewer(request, session)
        try:
            asked = await _check(session, values)
        except ServiceError as error:
            log.info("authorization request refused: %s", error.message)
            context = {
                "status": 400,
                "title": "This app's request is not valid",
                "message": error.message,
            }
            return await render(request, session, "error.html", context, status=400, me=me)
        target = request.url.path + "?" + urlencode({k: v for k, v in values.items() if v})
        if me is None:
            return redirect("/login?next=" + quote(target, safe=""))
        if request.query_params.get("force_login") in ("true", "1"):
            # The app asks who should let it in (Mastodon's "sign in as another account"):
            # ask for a login here, and leave the current session be until someone logs in.
            context = {
                "values": {},
                "error": None,
                "next": target,
                "choosing_for": asked.app.name,
            }
            return await render(request, session, "login.html", context, me=me)
        context = {
            "app": asked.app,
            "scopes": _describe(asked.scopes),
            "values": values,
            "oob": asked.redirect_uri == OOB,
        }
        return await render(request, session, "oauth_authorize.html", context, me=me)


async def authorize(request: Request) -> Response:
    """POST /oauth/authorize: the member's answer; the app gets a code or a refusal."""
    form = await read_form(request)
    values = {name: text(form, name) for name in _FIELDS}
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            asked = await _check(session, values)
        except ServiceError as error:
            context = {
                "status": 400,
                "title": "This app's request is not valid",
                "message": error.message,
            }
            return await render(request, session, "error.html", context, status=400, me=me)
        state = {"state": asked.state} if asked.state else {}
        if text(form, "decision") != "allow":
            if asked.redirect_uri == OOB:
                flash(request, f"{asked.app.name} was not let in.")
                return redirect("/")
            return _back_to_app(asked.redirect_uri, {"error": "access_denied", **state})
        assert me.member.id is not None
        code = await oauth_codes.grant_code(session, asked, me.member.id, now(request))
        log.info("%s authorized app %s", me.actor.username, asked.app.name)
        if asked.redirect_uri == OOB:
            context = {"app": asked.app, "code": code}
            return await render(request, session, "oauth_code.html", context, me=me)
        return _back_to_app(asked.redirect_uri, {"code": code, **state})


def _back_to_app(redirect_uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if "?" in redirect_uri else "?"
    # 302, not 303: some apps' embedded browsers only catch the classic redirect.
    return RedirectResponse(redirect_uri + joiner + urlencode(params), status_code=302)


async def apps_page(request: Request) -> Response:
    """GET /settings/apps: the apps that hold a key to the member's account."""
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.member.id is not None
        apps = await oauth_tokens.authorized_apps(session, me.member.id)
        listed = [(a, _describe(a.scopes)) for a in apps]
        return await render(request, session, "settings_apps.html", {"apps": listed}, me=me)


async def revoke_app(request: Request) -> Response:
    """POST /settings/apps/{app_id}/revoke: the app's tokens stop working at once."""
    await read_form(request)
    app_id = parse_id(str(request.path_params["app_id"]), most=MAX_SERIAL_ID)
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.member.id is not None
        if app_id is not None:
            await oauth_tokens.revoke_app(session, me.member.id, app_id, now(request))
        flash(request, "The app can no longer use your account.")
        return redirect("/settings/apps")
