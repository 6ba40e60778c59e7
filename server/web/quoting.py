"""Quote posts on the web: what the quote composer shows, the quotes of a member's post,
and taking a quote's approval back."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.models.interaction_policies import Quote
from server.services import quote_requests, quotes
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.services.interaction_policies import Decision
from server.services.paging import Window
from server.services.post_views import views_of
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form
from server.web.params import path_id


async def compose_context(
    session: AsyncSession, me: Signed, quote_of: int | None, at: datetime
) -> dict[str, object]:
    """The quoted post, the reflective card and what the quoted post's policy says, for
    the composer; the reason when it may not be quoted."""
    if quote_of is None:
        return {"quoting": None}
    try:
        found = await quotes.check(session, me.actor, quote_of, at)
    except ServiceError as error:
        return {"quoting": None, "quote_refusal": error.message}
    views = await views_of(session, me.actor_id, [found.quoted.id])
    name = found.author.display_name or found.author.username
    return {
        "quoting": views[0] if views else None,
        "quote_card": f"{name} will see that you quoted them; "
        "what do you want readers to take from it?",
        "quote_asks": found.decision is Decision.manual,
        "quoted_name": name,
    }


async def quotes_page(request: Request) -> Response:
    """GET /posts/{post_id}/quotes: the approved quotes of the member's own post."""
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        ids = await quotes.quoting_posts(session, me.actor, post_id, Window(limit=40))
        views = await views_of(session, me.actor_id, ids)
        context = {"views": views, "quoted_id": post_id}
        return await render(request, session, "quotes.html", context, me=me)


async def one_quote(request: Request) -> Response:
    """GET /quotes/{quoting_id}: from a notification, to the quotes of the quoted post."""
    quoting_id = path_id(request, "quoting_id")
    async with db(request) as session:
        await require_member(request, session)
        found = (await session.exec(select(Quote).where(col(Quote.post_id) == quoting_id))).first()
        if found is None or found.quoted_post_id is None:
            raise HTTPException(404, "There is no such quote of your posts.")
        return redirect(f"/posts/{found.quoted_post_id}/quotes#post-{quoting_id}")


async def revoke(request: Request) -> Response:
    """POST /posts/{post_id}/quotes/{quoting_id}/revoke: the quoted author takes the
    approval back; the quote shows as removed here and at the quoting server."""
    await read_form(request)
    post_id, quoting_id = path_id(request, "post_id"), path_id(request, "quoting_id")
    async with db(request) as session:
        me = await require_member(request, session)
        await quote_requests.revoke(session, me.actor, post_id, quoting_id, now(request))
        flash(request, "The quote is removed: your post no longer shows inside it.")
        return redirect(f"/posts/{post_id}/quotes")
