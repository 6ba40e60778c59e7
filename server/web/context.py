"""What every web handler needs: the database session, the signed-in member, rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server import norms_kept
from server.config import Settings
from server.services import approvals, norms, notifications, posting_rules, sessions, signed_in
from server.services.accounts import Signed
from server.services.posting_rules import Rules
from server.web import policy_notes
from server.web.forms import csrf_token
from server.web.templating import templates


@asynccontextmanager
async def db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def settings(request: Request) -> Settings:
    return request.app.state.settings


def now(request: Request) -> datetime:
    return request.app.state.clock.now()


async def community_norms(request: Request, session: AsyncSession) -> norms.Norms:
    """The norms in force for this request (kept until a change: server/norms_kept.py),
    shared by everything that renders it."""
    found = getattr(request.state, "norms", None)
    if found is None:
        found = await norms_kept.in_force(request.app.state, session)
        request.state.norms = found
    return found


async def rules(request: Request, session: AsyncSession, member_id: int | None = None) -> Rules:
    """The posting rules; with `member_id`, that member's (a norm experiment's arm)."""
    found = await community_norms(request, session)
    if member_id is not None:
        found = found.for_member(member_id, now(request))
    found_settings = settings(request)
    return posting_rules.rules(
        found, found_settings.base_url, confirmed_only=bool(found_settings.smtp_host), arm=found.arm
    )


#: The cookie's field holding the session key (server/services/sessions.py).
SESSION_KEY = "sid"


def session_key(request: Request) -> str | None:
    """The key of this browser's web session, if it has one."""
    key = request.session.get(SESSION_KEY)
    return key if isinstance(key, str) else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def viewer(request: Request, session: AsyncSession) -> Signed | None:
    """The signed-in member, or None; an ended, expired or suspended session is cleared."""
    key = session_key(request)
    if key is None:
        return None
    found = await signed_in.member_for_session(session, key, now(request), request.app.state.grants)
    if found is None:
        request.session.pop(SESSION_KEY, None)
    return found


async def require_member(request: Request, session: AsyncSession) -> Signed:
    """The signed-in member; visitors are sent to log in (HTTPException 303 via handler)."""
    found = await viewer(request, session)
    if found is None:
        raise HTTPException(401, "Log in to do that.")
    return found


async def sign_in(request: Request, session: AsyncSession, found: Signed) -> None:
    """Start a web session for the member in this browser; a session the browser had
    ends, so a cookie copied before logging in is worth nothing after."""
    await sign_out(request, session)
    assert found.member.id is not None
    request.session[SESSION_KEY] = await sessions.start(
        session,
        found.member.id,
        user_agent=request.headers.get("user-agent", ""),
        ip=client_address(request),
        now=now(request),
    )


async def sign_out(request: Request, session: AsyncSession) -> None:
    """End this browser's web session on the server, then forget it here."""
    key = session_key(request)
    if key is not None:
        await sessions.end(session, key)
    request.session.clear()


def flash(request: Request, message: str) -> None:
    """A one-line notice shown on the next page."""
    request.session["flash"] = message


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _policy_notes(
    request: Request, session: AsyncSession, me: Signed | None, views: list[Any]
) -> dict[int, policy_notes.PolicyNote]:
    """What the page's posts' policies let the reader do (server/web/policy_notes.py)."""
    community = (await rules(request, session)).interactions.policy()
    reader_uri = request.app.state.urls.actor(me.actor.username) if me else None
    reader_id = me.actor_id if me else None
    return await policy_notes.notes_for(
        session, reader_id, reader_uri, views, community, now(request)
    )


async def render(
    request: Request,
    session: AsyncSession | None,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    me: Signed | None = None,
) -> Response:
    """Render a page with what the layout needs (who is signed in, their unread count)."""
    unread = waiting = 0
    if me is not None and session is not None:
        assert me.actor_id is not None
        unread = await notifications.unread_count(session, me.actor_id)
        waiting = await approvals.count_waiting(session, me.actor_id, now(request))
    likes_shown, home_path = False, "/"
    if session is not None:
        found = await community_norms(request, session)
        likes_shown = found["likes.counts"] == "shown" or (me is not None and me.member.show_counts)
        # When members land on the local timeline, their home timeline has its own address.
        home_path = "/home" if found["timeline.default"] == "local" else "/"
    page = {
        "me": me,
        "unread": unread,
        "waiting": waiting,
        "likes_shown": likes_shown,
        "home_path": home_path,
        # A callable, so pages without forms set no cookie for visitors.
        "csrf": lambda: csrf_token(request),
        "flash": request.session.pop("flash", None) if "flash" in request.session else None,
        "instance_name": settings(request).instance_name,
        "now": now(request),
        **context,
    }
    if session is not None and (views := policy_notes.views_in(context)):
        page["policy_notes"] = await _policy_notes(request, session, me, views)
    return templates.TemplateResponse(request, template, page, status_code=status)
