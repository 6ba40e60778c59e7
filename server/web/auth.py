"""Sign up, log in, log out."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import MemberState
from server.services import accounts, mail_tokens, suspended_access
from server.services.errors import Forbidden, ServiceError
from server.web import mail_pages, standing
from server.web.context import (
    client_address,
    community_norms,
    db,
    flash,
    now,
    redirect,
    render,
    settings,
    sign_in,
    sign_out,
    viewer,
)
from server.web.forms import read_form, text

log = logging.getLogger(__name__)


async def signup_page(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        if me is not None:
            return redirect("/")
        context = await _signup_context(request, session, {})
        return await render(request, session, "signup.html", context)


async def _signup_context(
    request: Request,
    session: AsyncSession,
    values: dict[str, str],
    error: ServiceError | None = None,
) -> dict[str, object]:
    found = await community_norms(request, session)
    return {"mode": found.registration_mode.value, "values": values, "error": error}


async def signup(request: Request) -> Response:
    form = await read_form(request)
    values = {name: text(form, name) for name in ("username", "email", "reason")}
    async with db(request) as session:
        try:
            created = await accounts.sign_up(
                session,
                mode=(await community_norms(request, session)).registration_mode,
                username=values["username"],
                email=values["email"],
                password=text(form, "password"),
                reason=values["reason"],
                confirmed=not mail_pages.mail_on(request),
                now=now(request),
            )
        except ServiceError as error:
            log.info("sign-up refused: %s", error.message)
            context = await _signup_context(request, session, values, error)
            return await render(request, session, "signup.html", context, status=error.status)
        mail = mail_pages.mail_on(request)
        if mail:
            await mail_tokens.send_confirmation(session, created, now(request))
        if created.member.state == MemberState.pending:
            return await render(request, session, "signup_pending.html", {"found": created})
        await sign_in(request, session, created)
        welcome = f"Welcome to {settings(request).instance_name}, {created.actor.username}."
        if mail:
            welcome += f" We sent a link to {created.member.email}: follow it to confirm it."
        flash(request, welcome)
        return redirect("/")


async def login_page(request: Request) -> Response:
    async with db(request) as session:
        if await viewer(request, session) is not None:
            return redirect("/")
        return await render(request, session, "login.html", {"values": {}, "error": None})


async def login(request: Request) -> Response:
    form = await read_form(request)
    login_name = text(form, "login")
    values = {"login": login_name}
    target = text(form, "next")
    address = client_address(request)
    async with db(request) as session:
        wait = await request.app.state.rate_limits.login_attempt(address, login_name)
        if wait:
            log.warning("login rate limit hit for %r from %s", login_name, address)
            error = ServiceError(
                f"Too many login attempts. Wait {max(1, wait // 60)} minute(s) and try again."
            )
            context = {"values": values, "error": error, "next": target}
            response = await render(request, session, "login.html", context, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            found = await accounts.authenticate(
                session, login=login_name, password=text(form, "password"), now=now(request)
            )
        except ServiceError as error:
            log.info("login refused for %r: %s", login_name, error.message)
            if isinstance(error, Forbidden):  # a suspended member may still read why
                held = await suspended_access.suspended_member(
                    session, login=login_name, password=text(form, "password")
                )
                if held is not None:
                    standing.let_appeal(request, held.actor_id, now(request))
                    return redirect(standing.SUSPENDED)
            context = {"values": values, "error": error, "next": target}
            return await render(request, session, "login.html", context, status=error.status)
        await sign_in(request, session, found)
        if found.member.email_confirmed_at is None and mail_pages.mail_on(request):
            flash(request, mail_pages.unconfirmed_note(found.member.email))
        return redirect(target if _local(target) else "/")


async def logout(request: Request) -> Response:
    await read_form(request)
    async with db(request) as session:
        await sign_out(request, session)
    return redirect("/")


def _local(target: str) -> bool:
    """Whether `next` is a path on this site: browsers read "//host" and "/\\host" as
    another site's address."""
    return target.startswith("/") and not target.startswith(("//", "/\\"))
