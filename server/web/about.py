"""The community's public explanations: /about (rules and norms in plain words) and
/about/ranking (how Conversations ranks, with the weights in force)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from server.models.interaction_policies import Interaction
from server.services import instance, norms, policy_words
from server.services.interaction_policies import PRESETS, Policy
from server.services.norms import Norms
from server.web.context import community_norms, db, now, render, settings, viewer
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
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes, rest = divmod(seconds, 60)
    if rest == 0:
        return f"{minutes} minutes"
    return f"{minutes} minutes {rest} second{'' if rest == 1 else 's'}"


SIGNUPS = {
    "open": "Anyone may join.",
    "approval": "Anyone may ask to join; an admin reads each request.",
    "closed": "The community is not taking new members for now.",
}


def held_back(found: Norms) -> str:
    """What is left out at random, in a sentence's middle; empty when nothing is."""
    cards, nudges = found["holdouts.cards_percent"], found["holdouts.nudges_percent"]
    parts = []
    if cards:
        parts.append(f"for {cards} % of the replies where a card would appear above the reply box")
    if nudges:
        parts.append(
            f"for {nudges} % of the times Porch would ask for a second look at harsh words"
        )
    return ", and ".join(parts)


def trying(found: Norms, now: datetime) -> str:
    """The norm experiment running now, in a sentence; empty when none runs."""
    trial = found.experiment
    if trial is None or not trial.runs_at(now):
        return ""
    norm = norms.BY_NAME[trial.name]
    return (
        f"Until {trial.ends_at:%-d %B}, the community is trying a change to “{norm.label}”: "
        f"half of members, chosen at random, have {norm.said(trial.new_value)} instead "
        f"of {norm.said(found[trial.name])}. Then the admins compare the two halves "
        "(only counts) and keep the change for everyone or drop it."
    )


def _words(found: Norms, now: datetime) -> dict[str, str]:
    """Every norm that shapes posting, in the words the about page uses."""
    defaults = Policy(
        reply=PRESETS[found["interactions.reply"]],
        like=PRESETS[found["interactions.like"]],
        boost=PRESETS[found["interactions.boost"]],
        quote=PRESETS[found["interactions.quote"]],
    )
    return {
        "description": found["about.description"],
        "post_pause": duration(found["pause.post_seconds"]),
        "reply_pause": duration(found["pause.reply_seconds"]),
        "mutual_pause": duration(found["pause.mutual_reply_seconds"]),
        "stranger_pause": duration(found["pause.stranger_reply_seconds"]),
        "as_written_pause": duration(found["pause.as_written_reply_seconds"]),
        "hot_pause": duration(found["pause.hot_thread_reply_seconds"]),
        "slow_interval": duration(found["slowmode.interval_seconds"]),
        "signups": SIGNUPS[found.registration_mode.value],
        "interactions": policy_words.summary(defaults, tuple(Interaction)),
        "held_back": held_back(found),
        "trying": trying(found, now),
    }


@public_page
async def about(request: Request) -> Response:
    """GET /about: who the community is, how to reach its admins, a few figures, its
    rules, and every norm that shapes posting in plain words, for anyone."""
    async with db(request) as session:
        me = await viewer(request, session)
        found = await community_norms(request, session)
        context = {
            "norms": found,
            "words": _words(found, now(request)),
            "usage": await instance.usage(session, now(request)),
            "servers": await instance.known_servers(session),
            "admin": await instance.contact(session),
            "contact_email": settings(request).contact_email,
        }
        return await render(request, session, "about.html", context, me=me)
