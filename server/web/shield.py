"""The pile-on shield on a thread's page: its author's banner with the switch, and the
card for people whose reply it will hold; turning it off."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import Post
from server.services import accounts, post_reads, shields
from server.services.accounts import Signed
from server.web.context import db, flash, now, redirect, require_member
from server.web.forms import read_form
from server.web.params import path_id


async def on_thread(
    session: AsyncSession, me: Signed | None, root: Post | None, card_text: str, at: datetime
) -> dict[str, Any]:
    """What a thread's page shows of its shield to `me`: nothing to visitors and to
    people it does not hold; its author the banner (how many, until when, the switch);
    a stranger about to reply the card (`card_text`: the norm's words)."""
    if me is None or root is None or me.actor.id is None:
        return {}
    shield = await shields.up_on(session, root.id, at)
    if shield is None:
        return {}
    if me.actor.id == root.actor_id:
        seen = await shields.strangers_seen(session, shield, at)
        return {"shield": shield, "shield_strangers": seen}
    held = await shields.holds(session, root, me.actor.id, mentioned=False, now=at)
    if not held:
        return {}
    author = await accounts.actor_by_id(session, root.actor_id)
    return {"shield_card": card_text.replace("{name}", author.name)}


async def turn_off(request: Request) -> Response:
    """POST /threads/{root_id}/shield/off: the thread's author turns its shield off."""
    await read_form(request)
    root_id = path_id(request, "root_id")
    async with db(request) as session:
        me = await require_member(request, session)
        assert me.actor.id is not None
        await shields.turn_off(session, me.actor.id, root_id, now(request))
        flash(request, "The shield is off: replies follow your post's own rules again.")
        root = await post_reads.get_visible(session, me.actor.id, root_id)
        return redirect(f"/@{me.actor.handle}/{root.root_id}")
