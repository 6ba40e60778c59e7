"""A post's page with its thread and earlier versions, and slowing a thread down."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.services import (
    accounts,
    post_reads,
    roles,
    slow_mode,
    stewardship,
    thread_mutes,
    timelines,
    welcome,
)
from server.web import shield
from server.web.about import duration
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
from server.web.params import path_id


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
        moderator = me is not None and roles.can_moderate(me.member)
        context = {
            "post": found,
            "thread": thread,
            "focus": found.id,
            # Opened at a reply collapsed for this reader: nothing of it, not even a way
            # to answer it (the composer shows what it answers).
            "focus_collapsed": any(v.collapsed for v in thread if v.post.id == found.id),
            "history": history,
            "slow": slow,
            "slow_interval": duration(int(limits.interval.total_seconds())),
            "root_id": found.root_id,
            "thread_muted": bool(me and await thread_mutes.among(session, me.actor_id, [found])),
            "can_slow": root is not None
            and me is not None
            and (moderator or me.actor.id == root.actor_id),
            # Only the author of the thread's first post hides its replies.
            "can_hide": root is not None and me is not None and me.actor.id == root.actor_id,
        }
        norms = await community_norms(request, session)
        # The shield's card is a card: the reader's own, in a norm experiment.
        card_norms = norms.for_member(me.actor_id, now(request)) if me else norms
        context |= await shield.on_thread(
            session, me, root, card_norms["cards.shield_text"], now(request)
        )
        context["welcome_asks"] = {}
        if me is not None and welcome.asked(norms):  # the person replied to, and only them
            ids = welcome.askable(me.actor_id, (v.post for v in thread if not v.collapsed))
            context["welcome_asks"] = await welcome.answers_of(session, me.actor_id, ids)
        return await render(request, session, "post.html", context, me=me)


async def set_slow_mode(request: Request) -> Response:
    """POST /threads/{root_id}/slow_mode: its author or a moderator turns it on or off."""
    form = await read_form(request)
    root_id = path_id(request, "root_id")
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.actor.id is not None
        turn_on = form.get("on") == "on"
        await slow_mode.set_by_hand(
            session,
            me.actor.id,
            roles.can_moderate(me.member),
            root_id,
            turn_on,
            now(request),
        )
        flash(request, "Slow mode is on for this thread." if turn_on else "Slow mode is off.")
        root = await post_reads.get_visible(session, me.actor.id, root_id)
        author = await accounts.actor_by_id(session, root.actor_id)
        return redirect(f"/@{author.handle}/{root_id}")


async def hide_reply(request: Request) -> Response:
    """POST /posts/{post_id}/hide: the thread's author hides a reply in it."""
    await read_form(request)
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        norms = await community_norms(request, session)
        reply = await stewardship.hide(session, me.actor, post_id, norms, now(request))
        flash(request, "The reply is hidden: others here see that you hid it, not what it says.")
        return redirect(f"/@{me.actor.handle}/{reply.root_id}#hidden-{reply.id}")


async def show_reply(request: Request) -> Response:
    """POST /posts/{post_id}/unhide: the thread's author shows a hidden reply again."""
    await read_form(request)
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        reply = await stewardship.unhide(session, me.actor, post_id)
        flash(request, "The reply shows in your thread again.")
        return redirect(f"/@{me.actor.handle}/{reply.root_id}#post-{reply.id}")
