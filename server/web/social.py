"""Finding people elsewhere, likes and boosts, and answering follow requests."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID
from server.models import Actor, Post
from server.services import follows, reactions, remote_lookup
from server.services.approval_gate import Held
from server.services.errors import NotFound, ServiceError
from server.web.context import db, flash, now, redirect, render, require_member
from server.web.forms import read_form, text
from server.web.params import path_id


async def search(request: Request) -> Response:
    """@user@domain (through WebFinger) or a profile or post URL from another server,
    shown here to follow or answer."""
    query = request.query_params.get("q", "").strip()
    async with db(request) as session:
        me = await require_member(request, session)
        if not query:
            return await render(request, session, "search.html", {"q": "", "error": None}, me=me)
        try:
            found = await remote_lookup.find(session, request.app.state.remote_lookup, query)
            if found is None:
                return redirect(f"/@{query.lstrip('@')}")
            if isinstance(found, Post):
                author = await session.get(Actor, found.actor_id)
                assert author is not None
                return redirect(f"/@{author.handle}/{found.id}")
            return redirect(f"/@{found.handle}")
        except ServiceError as error:
            context = {"q": query, "error": error}
            return await render(
                request, session, "search.html", context, status=error.status, me=me
            )


async def authorize_interaction(request: Request) -> Response:
    """Where Mastodon's remote-follow sends people (our WebFinger subscribe template)."""
    uri = request.query_params.get("uri", "").removeprefix("acct:")
    return redirect("/search?" + urlencode({"q": uri}))


def next_path(form: FormData | None) -> str | None:
    """The form's `next` field when it names a page of this site (a path, never another
    host: `//` and `/\\` lead a browser elsewhere), else None."""
    target = text(form, "next") if form is not None else ""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def back(request: Request, fallback: str, form: FormData | None = None) -> Response:
    # Back where the form says (to the notification acted on), else to the page the
    # button was on; only same-site paths.
    if (target := next_path(form)) is not None:
        return redirect(target)
    target = request.headers.get("referer", "")
    path = "/" + target.split("://", 1)[-1].split("/", 1)[-1] if "://" in target else fallback
    return redirect(path if path.startswith("/") and not path.startswith("//") else fallback)


async def react(request: Request) -> Response:
    """POST /posts/{id}/like, /unlike, /boost, /unboost."""
    form = await read_form(request)
    post_id = path_id(request, "post_id")
    action = request.path_params["action"]
    async with db(request) as session:
        me = await require_member(request, session)
        moment = now(request)
        try:
            if action == "like":
                await reactions.like(session, me.actor, post_id, moment)
            elif action == "unlike":
                await reactions.unlike(session, me.actor, post_id, moment)
            elif action == "boost":
                await reactions.boost(session, me.actor, post_id, moment)
            elif action == "unboost":
                await reactions.unboost(session, me.actor, post_id, moment)
            else:
                raise NotFound("There is no such thing to do with a post.")
        except Held as held:
            flash(request, held.message)  # kept: it waits for the author's yes
    return back(request, "/", form)


async def follow_requests(request: Request) -> Response:
    async with db(request) as session:
        me = await require_member(request, session)
        waiting = await follows.requests_for(session, me.actor_id)
        return await render(request, session, "follow_requests.html", {"waiting": waiting}, me=me)


async def answer(request: Request) -> Response:
    """POST /follow_requests/{follower_id}/{approve|reject}."""
    form = await read_form(request)
    follower_id = path_id(request, "follower_id", most=MAX_SERIAL_ID)
    approve = request.path_params["action"] == "approve"
    async with db(request) as session:
        me = await require_member(request, session)
        await follows.answer_request(session, me.actor, follower_id, approve, now(request))
    name = text(form, "name")
    flash(request, f"{'Approved' if approve else 'Declined'} {name or 'the request'}.")
    return redirect(next_path(form) or "/follow_requests")
