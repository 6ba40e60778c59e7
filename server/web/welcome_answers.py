"""The private "Was this reply welcome?" form under replies to a member's posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.services import welcome
from server.web.context import community_norms, db, flash, now, redirect, require_member
from server.web.forms import read_form, text
from server.web.params import path_id
from server.web.social import next_path


async def answer(request: Request) -> Response:
    """POST /posts/{post_id}/welcome: the person replied to answers, privately (from
    the thread or from their notifications)."""
    form = await read_form(request)
    post_id = path_id(request, "post_id")
    async with db(request) as session:
        me = await require_member(request, session)
        norms = await community_norms(request, session)
        reply = await welcome.answer(
            session, norms, me.actor_id, post_id, text(form, "welcome"), now(request)
        )
        flash(request, "Thank you. Only you see this answer; the admins see only totals.")
        # Back to the notification it was answered from, else to the reply in its thread.
        target = next_path(form) or f"/@{me.actor.handle}/{reply.in_reply_to_id}#post-{reply.id}"
        return redirect(target)
