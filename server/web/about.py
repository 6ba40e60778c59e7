"""The community's public explanations: /about (rules and norms in plain words) and
/about/ranking (how Conversations ranks, with the weights in force)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.services import norms
from server.web.context import community_norms, db, render, viewer
from server.web.pagecache import public_page


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


def duration(seconds: int) -> str:
    """A pause in words ("90 seconds", "5 minutes"), as the about and post pages say it."""
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
            "post_pause": duration(found["pause.post_seconds"]),
            "reply_pause": duration(found["pause.reply_seconds"]),
            "signups": SIGNUPS[found.registration_mode.value],
        }
        context = {"norms": found, "words": words}
        return await render(request, session, "about.html", context, me=me)
