"""Reading pages: timelines, profiles, threads, tags, notifications."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.models import MemberRole
from server.services import (
    accounts,
    blocks,
    explanations,
    follows,
    norms,
    notifications,
    post_reads,
    ranked_timeline,
    ranking,
    slow_mode,
    timelines,
)
from server.services.accounts import Signed
from server.services.paging import Window
from server.web.context import (
    community_norms,
    db,
    flash,
    now,
    redirect,
    render,
    require_member,
    rules,
    viewer,
)
from server.web.forms import read_form
from server.web.pagecache import public_page
from server.web.params import path_id, query_id


@public_page
async def home(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        if me is None:
            page = await timelines.local(
                session, None, window=Window(max_id=query_id(request, "max_id"))
            )
            return await render(request, session, "welcome.html", {"page": page})
        found = await community_norms(request, session)
        landing = found["timeline.default"]
        if landing == "local" and request.url.path == "/":
            return redirect("/local")
        order = home_order(me, found)
        context = {"title": "Home", "tab": "home", "compose": True, "order": order}
        if order == "conversations":
            assert me.actor.id is not None
            ranked = await ranked_timeline.page(
                session,
                me.actor.id,
                now(request),
                ranking.weights(found),
                snapshot_id=query_id(request, "snapshot"),
                offset=query_id(request, "offset") or 0,
            )
            context |= {"ranked": ranked, "explain": explanations}
            return await render(request, session, "conversations.html", context, me=me)
        page = await timelines.home(
            session, me.actor, now(request), Window(max_id=query_id(request, "max_id"))
        )
        context |= {"page": page}
        return await render(request, session, "timeline.html", context, me=me)


def home_order(me: Signed, found: norms.Norms) -> str:
    """Conversations or Latest: the member's choice, else the community's default."""
    if me.member.home_order in ("conversations", "latest"):
        return me.member.home_order
    return "latest" if found["timeline.default"] == "latest" else "conversations"


async def set_home_order(request: Request) -> Response:
    """POST /home/order: switch between Conversations and Latest, remembered."""
    form = await read_form(request)
    order = str(form.get("order", ""))
    if order not in ("conversations", "latest"):
        raise HTTPException(400, "Choose Conversations or Latest.")
    async with db(request) as session:
        me = await require_member(request, session)
        await accounts.set_home_order(session, me.member, order)
        landing = (await community_norms(request, session))["timeline.default"]
    return redirect("/home" if landing == "local" else "/")


async def about_ranking(request: Request) -> Response:
    """GET /about/ranking: how the Conversations timeline ranks, with the weights in
    force and every change to them."""
    async with db(request) as session:
        me = await viewer(request, session)
        found = await community_norms(request, session)
        changes = await norms.history(session, prefix="ranking.")
        ranking_norms = [n for n in norms.REGISTRY if n.name.startswith("ranking.")]
        context = {"norms": found, "ranking_norms": ranking_norms, "changes": changes}
        return await render(request, session, "about_ranking.html", context, me=me)


@public_page
async def local(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        viewer_id = me.actor.id if me else None
        page = await timelines.local(
            session, viewer_id, window=Window(max_id=query_id(request, "max_id"))
        )
        context = {"page": page, "title": "Local", "tab": "local", "compose": False}
        return await render(request, session, "timeline.html", context, me=me)


@public_page
async def tag(request: Request) -> Response:
    name = str(request.path_params["tag"]).lower()
    async with db(request) as session:
        me = await viewer(request, session)
        viewer_id = me.actor.id if me else None
        page = await timelines.tagged(
            session, viewer_id, name, window=Window(max_id=query_id(request, "max_id"))
        )
        context = {"page": page, "title": f"#{name}", "tab": "tag", "compose": False}
        return await render(request, session, "timeline.html", context, me=me)


@public_page
async def profile(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        actor = await accounts.actor_by_handle(session, request.path_params["username"])
        viewer_id = me.actor.id if me else None
        with_replies = request.query_params.get("with_replies") == "1"
        page = await timelines.profile(
            session,
            viewer_id,
            actor,
            with_replies=with_replies,
            window=Window(max_id=query_id(request, "max_id")),
        )
        counts = await follows.counts(session, actor.id)
        following = None
        blocking = False
        if me is not None and me.actor.id != actor.id:
            following = await follows.find(session, me.actor.id, actor.id)
            blocking = actor.id in await blocks.blocked_ids(session, me.actor.id)
        context = {
            "actor": actor,
            "page": page,
            "counts": counts,
            "following": following,
            "blocking": blocking,
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
        listing = follows.followers_of if which == "followers" else follows.followed_by
        people = [person for _, person in await listing(session, actor.id)]
        context = {"actor": actor, "people": people, "which": which}
        return await render(request, session, "people.html", context, me=me)


@public_page
async def post(request: Request) -> Response:
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await viewer(request, session)
        viewer_id = me.actor.id if me else None
        found = await post_reads.get_visible(session, viewer_id, post_id)
        author = await accounts.actor_by_handle(session, str(request.path_params["username"]))
        if author.id != found.actor_id:
            raise HTTPException(404)
        thread = await timelines.thread(session, viewer_id, found)
        history = await post_reads.history(session, found.id) if found.edited_at else []
        root = next((v.post for v in thread if v.post.id == found.root_id), None)
        limits = (await rules(request, session)).slow_limits
        slow = await slow_mode.of(session, root, limits, now(request)) if root else None
        moderator = me is not None and me.member.role == MemberRole.admin
        context = {
            "post": found,
            "thread": thread,
            "focus": found.id,
            "history": history,
            "slow": slow,
            "slow_interval": _duration(int(limits.interval.total_seconds())),
            "root_id": found.root_id,
            "can_slow": root is not None
            and me is not None
            and (moderator or me.actor.id == root.actor_id),
        }
        return await render(request, session, "post.html", context, me=me)


async def set_slow_mode(request: Request) -> Response:
    """POST /threads/{root_id}/slow_mode: its author or a moderator turns it on or off."""
    form = await read_form(request)
    root_id = path_id(request, "root_id")
    async with db(request) as session:
        me = await require_member(request, session)
        turn_on = form.get("on") == "on"
        await slow_mode.set_by_hand(
            session,
            me.actor.id,
            me.member.role == MemberRole.admin,
            root_id,
            turn_on,
            now(request),
        )
        flash(request, "Slow mode is on for this thread." if turn_on else "Slow mode is off.")
        root = await post_reads.get_visible(session, me.actor.id, root_id)
        author = await accounts.actor_by_id(session, root.actor_id)
        return redirect(f"/@{author.handle}/{root_id}")


async def notifications_page(request: Request) -> Response:
    async with db(request) as session:
        me = await viewer(request, session)
        if me is None:
            return redirect("/login?next=/notifications")
        items = await notifications.for_member(
            session, me.actor.id, Window(limit=30, max_id=query_id(request, "max_id"))
        )
        # Marked read before rendering, so the badge clears; the loaded items keep their
        # unread highlight for this one view.
        await notifications.mark_all_read(session, me.actor.id, now(request))
        return await render(request, session, "notifications.html", {"items": items}, me=me)


# What a member can do about another person, by the last part of the path.
RELATIONS = {
    "follow": follows.follow,
    "unfollow": follows.unfollow,
    "block": blocks.block,
    "unblock": blocks.unblock,
}


async def relate(request: Request) -> Response:
    """POST /@{username}/follow, /unfollow, /block or /unblock."""
    await read_form(request)
    change = RELATIONS[request.url.path.rsplit("/", 1)[1]]
    async with db(request) as session:
        me = await require_member(request, session)
        actor = await accounts.actor_by_handle(session, request.path_params["username"])
        await change(session, me.actor, actor, now(request))
        return redirect(f"/@{actor.handle}")


def _duration(seconds: int) -> str:
    if seconds == 0:
        return "no time at all"
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return (
        f"{minutes} minutes" if seconds % 60 == 0 else f"{minutes} minutes {seconds % 60} seconds"
    )


SIGNUPS = {
    "open": "Anyone may join.",
    "approval": "Anyone may ask to join; an admin reads each request.",
    "closed": "The community is not taking new members for now.",
}


@public_page
async def about(request: Request) -> Response:
    """GET /about: the rules and the norms in plain words, for anyone."""
    async with db(request) as session:
        me = await viewer(request, session)
        found = await community_norms(request, session)
        words = {
            "post_pause": _duration(found["pause.post_seconds"]),
            "reply_pause": _duration(found["pause.reply_seconds"]),
            "signups": SIGNUPS[found.registration_mode.value],
        }
        context = {"norms": found, "words": words}
        return await render(request, session, "about.html", context, me=me)
