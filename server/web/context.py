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

from server.config import Settings
from server.services import accounts, norms, notifications
from server.services.accounts import Signed
from server.services.posts import Rules
from server.web.forms import csrf_token
from server.web.templating import templates


@asynccontextmanager
async def db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def now(request: Request) -> datetime:
    return request.app.state.clock.now()  # type: ignore[no-any-return]


async def community_norms(request: Request, session: AsyncSession) -> norms.Norms:
    """The norms in force for this request: read once per request (so changes apply at
    once) and shared by everything that renders it."""
    found = getattr(request.state, "norms", None)
    if found is None:
        found = await norms.current(session, settings(request))
        request.state.norms = found
    return found  # type: ignore[no-any-return]


async def rules(request: Request, session: AsyncSession) -> Rules:
    found = await community_norms(request, session)
    return norms.posting_rules(found, settings(request).base_url)


async def viewer(request: Request, session: AsyncSession) -> Signed | None:
    """The signed-in member, or None; a stale or suspended session is cleared."""
    member_id = request.session.get("member")
    if member_id is None:
        return None
    found = await accounts.member_for_session(
        session, int(member_id), request.session.get("epoch", 0)
    )
    if found is None:
        request.session.pop("member", None)
    return found


async def require_member(request: Request, session: AsyncSession) -> Signed:
    """The signed-in member; visitors are sent to log in (HTTPException 303 via handler)."""
    found = await viewer(request, session)
    if found is None:
        raise HTTPException(401, "Log in to do that.")
    return found


def sign_in(request: Request, found: Signed) -> None:
    request.session.clear()
    request.session["member"] = found.member.id
    request.session["epoch"] = found.member.session_epoch


def sign_out(request: Request) -> None:
    request.session.clear()


def flash(request: Request, message: str) -> None:
    """A one-line notice shown on the next page."""
    request.session["flash"] = message


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


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
    unread = 0
    if me is not None and session is not None:
        assert me.actor.id is not None
        unread = await notifications.unread_count(session, me.actor.id)
    likes_shown, home_path = False, "/"
    if session is not None:
        found = await community_norms(request, session)
        likes_shown = found["likes.counts"] == "shown" or (me is not None and me.member.show_counts)
        # When members land on the local timeline, their home timeline has its own address.
        home_path = "/home" if found["timeline.default"] == "local" else "/"
    page = {
        "me": me,
        "unread": unread,
        "likes_shown": likes_shown,
        "home_path": home_path,
        # A callable, so pages without forms set no cookie for visitors.
        "csrf": lambda: csrf_token(request),
        "flash": request.session.pop("flash", None) if "flash" in request.session else None,
        "instance_name": settings(request).instance_name,
        "now": now(request),
        **context,
    }
    return templates.TemplateResponse(request, template, page, status_code=status)
