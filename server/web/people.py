"""Someone's public pages: their profile and posts, whom they follow and who follows them,
and following or blocking them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import Actor, Follow, FollowState
from server.services import accounts, blocks, follows, mutes, stats, timelines
from server.services.paging import Window
from server.web.context import db, flash, now, redirect, render, require_member, viewer
from server.web.forms import read_form
from server.web.pagecache import public_page
from server.web.params import query_id
from server.web.social import next_path


@public_page
async def profile(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        actor = await accounts.actor_by_handle(session, request.path_params["username"])
        assert actor.id is not None
        viewer_id = me.actor.id if me else None
        with_replies = request.query_params.get("with_replies") == "1"
        page = await timelines.profile(
            session,
            viewer_id,
            actor,
            with_replies=with_replies,
            window=Window(max_id=query_id(request, "max_id")),
        )
        # Posts, followers and follows, from the counter row the API reads too.
        counts = (await stats.of_accounts(session, [actor.id]))[actor.id]
        following = None
        blocking = False
        muting = None
        if viewer_id is not None and viewer_id != actor.id:
            following = await follows.find(session, viewer_id, actor.id)
            blocking = actor.id in await blocks.blocked_ids(session, viewer_id)
            muting = await mutes.muting(session, viewer_id, actor.id, now(request))
        context = {
            "actor": actor,
            "page": page,
            "counts": counts,
            "posts": counts.statuses,
            "following": following,
            "blocking": blocking,
            "muting": muting,
            "with_replies": with_replies,
        }
        return await render(request, session, "profile.html", context, me=me)


@public_page
async def followers(request: Request) -> Response:
    return await _people(request, "followers")


@public_page
async def following(request: Request) -> Response:
    return await _people(request, "following")


async def _people(request: Request, which: str) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        actor = await accounts.actor_by_handle(session, request.path_params["username"])
        assert actor.id is not None
        listing = follows.followers_of if which == "followers" else follows.followed_by
        people = [person for _, person in await listing(session, actor.id)]
        context = {"actor": actor, "people": people, "which": which}
        return await render(request, session, "people.html", context, me=me)


#: What a member can do about another person, by the last part of the path.
RELATIONS: dict[str, Callable[[AsyncSession, Actor, Actor, datetime], Awaitable[object]]] = {
    "follow": follows.follow,
    "unfollow": follows.unfollow,
    "block": blocks.block,
    "unblock": blocks.unblock,
}


async def relate(request: Request) -> Response:
    """POST /@{username}/follow, /unfollow, /block or /unblock."""
    form = await read_form(request)
    name = request.url.path.rsplit("/", 1)[1]
    async with db(request) as session:
        me = await require_member(request, session)
        actor = await accounts.actor_by_handle(session, request.path_params["username"])
        handle = actor.handle
        done = await RELATIONS[name](session, me.actor, actor, now(request))
        target = next_path(form)
        if target is None:
            return redirect(f"/@{handle}")
        # Away from their profile (following back from a notification), say what happened.
        flash(request, said(name, actor, done))
        return redirect(target)


def said(name: str, actor: Actor, done: object) -> str:
    """What a relation changed, in words, for the page the member goes back to."""
    if name == "follow":
        waits = isinstance(done, Follow) and done.state == FollowState.requested
        return f"{'Asked to follow' if waits else 'You follow'} {actor.name} @{actor.handle}."
    return {
        "unfollow": f"You no longer follow {actor.name} @{actor.handle}.",
        "block": f"You blocked {actor.name} @{actor.handle}.",
        "unblock": f"You unblocked {actor.name} @{actor.handle}.",
    }[name]
