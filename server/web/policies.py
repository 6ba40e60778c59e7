"""Who may reply, boost and quote, on the web: the member's defaults per visibility
(/settings/interactions), one post's rules (/posts/{id}/policy), and the composer's
choices (read here, shown by templates/_policy_field.html)."""

from __future__ import annotations

import json
import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.models import Post, Visibility
from server.models.interaction_policies import Interaction
from server.services import intent_rules, policy_words, post_policies, post_reads
from server.services.accounts import Signed
from server.services.errors import Invalid, NotFound
from server.services.interaction_policies import PRESET_LABELS, PRESETS, Policy, Rule, preset_of
from server.services.posting_rules import Rules
from server.services.posts import Composition
from server.web.context import db, flash, now, redirect, render, require_member, rules
from server.web.forms import read_form, text
from server.web.params import path_id

log = logging.getLogger(__name__)

#: What the composer and the settings offer to choose, in this order.
CHOSEN = (Interaction.reply, Interaction.boost, Interaction.quote)
DEFAULTS_SHOWN = (Interaction.reply, Interaction.like, Interaction.boost, Interaction.quote)
VISIBILITY_LABELS = {
    Visibility.public: "Public posts",
    Visibility.unlisted: "Unlisted posts",
    Visibility.followers: "Followers-only posts",
    Visibility.direct: "Direct posts",
}
CHOICES = list(PRESET_LABELS.items())


def chosen_rules(
    form: FormData, kinds: tuple[Interaction, ...] = CHOSEN
) -> dict[Interaction, Rule]:
    """The rules a form changed (`policy_reply` …); an empty choice changes nothing."""
    found: dict[Interaction, Rule] = {}
    for kind in kinds:
        name = text(form, f"policy_{kind.value}")
        if not name:
            continue
        if name not in PRESETS:
            raise HTTPException(
                422, f"“{name}” is not one of the choices for who may {kind.value}."
            )
        found[kind] = PRESETS[name]
    return found


async def composer_context(
    session: AsyncSession, me_id: int, values: Composition, in_force: Rules
) -> dict[str, object]:
    """What the composer's "Who may reply, boost and quote" shows: the rules a post would
    get now, and what each intent brings (for the few lines of script)."""
    chosen = values.chosen or {}
    visibility = Visibility(values.visibility)
    policy = await post_policies.for_new_post(
        session, me_id, visibility, values.intent, in_force, chosen=chosen
    )
    plain = await post_policies.for_new_post(
        session, me_id, visibility, None, in_force, chosen=chosen
    )
    brings = intent_rules.usable(in_force.intent_rules, in_force.intents)
    said = {i: policy_words.intent_brings(i, c) for i, c in brings.items()}
    return {
        "policy_summary": policy_words.summary(policy),
        "policy_selected": {k.value: preset_of(r) for k, r in chosen.items()},
        "policy_choices": CHOICES,
        "policy_kinds": [k.value for k in CHOSEN],
        # For the script: what each intent brings, and the rules with no intent ("").
        "intent_brings": json.dumps({"": policy_words.summary(plain), **said}, ensure_ascii=False),
    }


async def _settings(
    request: Request,
    session: AsyncSession,
    me: Signed,
    defaults: dict[Visibility, Policy],
    error: Invalid | None = None,
) -> Response:
    context = {
        "defaults": {
            v: {k.value: preset_of(p.rule(k)) for k in DEFAULTS_SHOWN} for v, p in defaults.items()
        },
        "labels": VISIBILITY_LABELS,
        "kinds": [k.value for k in DEFAULTS_SHOWN],
        "choices": CHOICES,
        "capped": {Visibility.followers, Visibility.direct},
        "error": error,
    }
    status = 422 if error else 200
    return await render(
        request, session, "settings_interactions.html", context, me=me, status=status
    )


async def settings_page(request: Request) -> Response:
    """GET /settings/interactions: the member's default rules for each visibility."""
    async with db(request) as session:
        me = await require_member(request, session)
        in_force = await rules(request, session)
        defaults = await post_policies.defaults_of(session, me.actor_id, in_force)
        return await _settings(request, session, me, defaults)


async def save_settings(request: Request) -> Response:
    """POST /settings/interactions: every visibility's rules, as chosen; a choice that is
    not on the list shows the form again with the message by it, and nothing changes."""
    form = await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        in_force = await rules(request, session)
        now_defaults = await post_policies.defaults_of(session, me.actor_id, in_force)
        chosen = {}
        for visibility, policy in now_defaults.items():
            for kind in DEFAULTS_SHOWN:
                field = f"{visibility.value}_{kind.value}"
                name = text(form, field)
                if name and name not in PRESETS:
                    log.info("interaction defaults refused for %s: %r", me.actor.username, name)
                    error = Invalid(f"“{name}” is not one of the choices.", field=field)
                    return await _settings(request, session, me, now_defaults, error)
                if name:
                    policy = policy.with_rule(kind, PRESETS[name])
            chosen[visibility] = policy
        await post_policies.set_defaults(session, me.actor_id, chosen, now(request))
    flash(request, "Your default rules are saved; they apply to your next posts.")
    return redirect("/settings/interactions")


async def _own(request: Request, session: AsyncSession, me_id: int) -> Post:
    post = await post_reads.get_visible(session, me_id, path_id(request, "post_id"))
    if post.actor_id != me_id or post.reblog_of_id is not None:
        raise NotFound("This post does not exist any more.")
    return post


async def post_page(request: Request) -> Response:
    """GET /posts/{id}/policy: who may reply to, boost and quote one of the member's posts."""
    async with db(request) as session:
        me = await require_member(request, session)
        post = await _own(request, session, me.actor_id)
        policy = await post_policies.of_post(session, post)
        context = {
            "post": post,
            "selected": {k.value: preset_of(policy.rule(k)) for k in CHOSEN},
            "summary": policy_words.summary(policy),
            "kinds": [k.value for k in CHOSEN],
            "choices": CHOICES,
            "capped": post.visibility in (Visibility.followers, Visibility.direct),
        }
        return await render(request, session, "post_policy.html", context, me=me)


async def save_post(request: Request) -> Response:
    """POST /posts/{id}/policy: the rules chosen; other servers hear them in an Update."""
    form = await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        post = await _own(request, session, me.actor_id)
        chosen = chosen_rules(form)
        in_force = await rules(request, session)
        await post_policies.change(session, me.actor, post.id, chosen, in_force, now(request))
    flash(request, "Saved: the new rules apply from now on.")
    return redirect(f"/@{me.actor.username}/{post.id}")


routes = [
    Route("/settings/interactions", settings_page, methods=["GET"]),
    Route("/settings/interactions", save_settings, methods=["POST"]),
    Route("/posts/{post_id}/policy", post_page, methods=["GET"]),
    Route("/posts/{post_id}/policy", save_post, methods=["POST"]),
]
