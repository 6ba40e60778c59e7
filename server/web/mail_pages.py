"""Accounts by email: a forgotten password, following a mailed link, Settings > Email.

Mailed links open a page with one button rather than acting on the GET: mail scanners
fetch links to look at them, and must not use up a link (or confirm an address) doing so.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from server.services import mail_tokens
from server.services.errors import RateLimited, ServiceError
from server.services.mail_tokens import TokenPurpose
from server.web.context import (
    client_address,
    db,
    flash,
    now,
    redirect,
    render,
    require_member,
    settings,
    sign_in,
    viewer,
)
from server.web.forms import read_form, text

log = logging.getLogger(__name__)

SENT = (
    "If that names an account here with a confirmed address, a link to set a new password"
    " is on its way there. It works for an hour."
)


def mail_on(request: Request) -> bool:
    """Whether Porch sends mail (PORCH_SMTP_HOST is set)."""
    return bool(settings(request).smtp_host)


async def forgot_page(request: Request) -> Response:
    """GET /password/forgot."""
    async with db(request) as session:
        context: dict[str, object] = {"values": {}, "error": None, "mail": mail_on(request)}
        return await render(request, session, "password_forgot.html", context)


async def forgot(request: Request) -> Response:
    """POST /password/forgot: mail a reset link; the answer never says whether the
    account exists."""
    form = await read_form(request)
    login = text(form, "login")
    async with db(request) as session:
        if not mail_on(request):
            return redirect("/password/forgot")
        # Asking counts as a login attempt: it must not become a way to flood an inbox.
        wait = await request.app.state.rate_limits.login_attempt(client_address(request), login)
        if wait:
            error = RateLimited(
                f"Too many attempts. Wait {max(1, wait // 60)} minute(s) and try again.",
                retry_after=wait,
            )
            context = {"values": {"login": login}, "error": error, "mail": True}
            return await render(request, session, "password_forgot.html", context, status=429)
        mailed = await mail_tokens.request_reset(session, login, now(request))
        log.info("password reset asked for %r: %s", login, "mailed" if mailed else "not mailed")
        flash(request, SENT)
        return redirect("/login")


async def reset_page(request: Request) -> Response:
    """GET /password/reset/{key}: the form for a new password, if the link still works."""
    key = str(request.path_params["key"])
    async with db(request) as session:
        try:
            _, found = await mail_tokens.find(session, key, (TokenPurpose.reset,), now(request))
        except ServiceError as error:
            context = {"error": error, "gone": True, "key": key}
            return await render(request, session, "password_reset.html", context, status=404)
        context = {"error": None, "gone": False, "key": key, "name": found.actor.username}
        return await render(request, session, "password_reset.html", context)


async def reset(request: Request) -> Response:
    """POST /password/reset/{key}: set the new password, end every session, sign in."""
    key = str(request.path_params["key"])
    form = await read_form(request)
    async with db(request) as session:
        try:
            found = await mail_tokens.reset_password(
                session,
                key,
                new=text(form, "password"),
                revoke_apps=text(form, "revoke_apps") == "yes",
                now=now(request),
            )
        except ServiceError as error:
            log.info("password reset refused: %s", error.message)
            gone = error.field is None
            context = {"error": error, "gone": gone, "key": key}
            status = 404 if gone else error.status
            return await render(request, session, "password_reset.html", context, status=status)
        await sign_in(request, session, found)
        flash(request, "Your password is changed; you are logged out everywhere else.")
        return redirect("/")


async def confirm_page(request: Request) -> Response:
    """GET /email/confirm/{key}: one button confirms the address."""
    key = str(request.path_params["key"])
    async with db(request) as session:
        purposes = (TokenPurpose.confirm, TokenPurpose.change)
        try:
            token, _ = await mail_tokens.find(session, key, purposes, now(request))
        except ServiceError as error:
            context = {"error": error, "key": key, "email": ""}
            return await render(request, session, "email_confirm.html", context, status=404)
        context = {"error": None, "key": key, "email": token.email}
        return await render(request, session, "email_confirm.html", context)


async def confirm(request: Request) -> Response:
    """POST /email/confirm/{key}."""
    key = str(request.path_params["key"])
    await read_form(request)
    async with db(request) as session:
        try:
            found = await mail_tokens.confirm(session, key, now(request))
        except ServiceError as error:
            log.info("address confirmation refused: %s", error.message)
            context = {"error": error, "key": key, "email": ""}
            return await render(
                request, session, "email_confirm.html", context, status=error.status
            )
        log.info("@%s confirmed their address", found.actor.username)
        flash(request, f"Thank you: {found.member.email} is confirmed.")
        me = await viewer(request, session)
        return redirect("/settings/email" if me is not None else "/login")


async def email_page(request: Request) -> Response:
    """GET /settings/email."""
    async with db(request) as session:
        me = await require_member(request, session)
        context: dict[str, object] = {"error": None, "values": {}, "mail": mail_on(request)}
        return await render(request, session, "settings_email.html", context, me=me)


async def change_email(request: Request) -> Response:
    """POST /settings/email: mail a confirmation link to the new address."""
    form = await read_form(request)
    values = {"email": text(form, "email")}
    async with db(request) as session:
        me = await require_member(request, session)
        if not mail_on(request):
            return redirect("/settings/email")
        wait = await request.app.state.rate_limits.login_attempt(
            client_address(request), me.actor.username
        )
        try:
            if wait:
                raise RateLimited(
                    f"Too many attempts. Wait {max(1, wait // 60)} minute(s) and try again.",
                    retry_after=wait,
                )
            email = await mail_tokens.request_change(
                session,
                me,
                new_email=values["email"],
                password=text(form, "current_password"),
                now=now(request),
            )
        except ServiceError as error:
            log.info("address change refused for %s: %s", me.actor.username, error.message)
            context = {"error": error, "values": values, "mail": True}
            return await render(
                request, session, "settings_email.html", context, status=error.status, me=me
            )
        flash(request, f"A link is on its way to {email}. Your address changes when you follow it.")
        return redirect("/settings/email")


async def resend(request: Request) -> Response:
    """POST /settings/email/resend: a fresh confirmation link."""
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        if not mail_on(request):
            return redirect("/settings/email")
        # Limited like logging in: an address typed by someone else must not be flooded.
        wait = await request.app.state.rate_limits.login_attempt(
            client_address(request), me.actor.username
        )
        if wait:
            flash(request, f"Too many links asked for. Wait {max(1, wait // 60)} minute(s).")
            return redirect("/settings/email")
        try:
            await mail_tokens.resend_confirmation(session, me, now(request))
        except ServiceError as error:
            flash(request, error.message)
            return redirect("/settings/email")
        flash(request, f"A new link is on its way to {me.member.email}.")
        return redirect("/settings/email")


def unconfirmed_note(address: str) -> str:
    """What a member whose address is not confirmed is told on signing in."""
    return (
        f"Please confirm your email address: follow the link we sent to {address}. Until"
        " then we cannot mail you a new password if you forget it (Settings > Email sends"
        " the link again)."
    )
