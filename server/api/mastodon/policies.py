"""Interaction policies in the client API: Mastodon's quote policy words and QuoteApproval,
GoToSocial's `interaction_policy` objects and default policies, and their endpoints.

Porch's audiences are richer than either API's: "mutuals" and "mentioned" have no
Mastodon word (they show as `unsupported_policy`), and Mastodon's three quote words map
to Porch's presets (`followers` keeps the people a post mentions, as Porch's preset does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from server.api.mastodon.context import ApiError, Call, endpoint
from server.json_response import JSONResponse
from server.models import Visibility
from server.models.interaction_policies import Interaction
from server.services import post_policies, relationships
from server.services.interaction_policies import (
    PRESETS,
    Audience,
    Decision,
    Policy,
    Rule,
    Standing,
    decide,
)
from server.services.policy_reads import policies_of
from server.services.post_views import PostView

#: Mastodon's quote policy words, as Porch presets.
QUOTE_WORDS = {"public": "anyone", "followers": "followers", "nobody": "nobody"}
#: Mastodon's visibility names.
VISIBILITY_NAMES = {
    Visibility.public: "public",
    Visibility.unlisted: "unlisted",
    Visibility.followers: "private",
    Visibility.direct: "direct",
}
#: GoToSocial's names for the interactions it has.
GTS_KINDS = {
    "can_favourite": Interaction.like,
    "can_reply": Interaction.reply,
    "can_reblog": Interaction.boost,
}
_MASTODON_AUDIENCES = {Audience.anyone, Audience.followers, Audience.following}
_GTS_WORDS = {a.value for a in Audience}


def quote_rule(word: str | None) -> Rule | None:
    """The rule Mastodon's `quote_approval_policy` word stands for; 422 for others."""
    if word is None or word == "":
        return None
    if word not in QUOTE_WORDS:
        raise ApiError(422, "quote_approval_policy must be public, followers or nobody.")
    return PRESETS[QUOTE_WORDS[word]]


def quote_word(rule: Rule) -> str:
    """Mastodon's word for a quote rule, never wider than the rule: public, followers
    or nobody."""
    if Audience.anyone in rule.automatic:
        return "public"
    return "followers" if Audience.followers in rule.automatic else "nobody"


def _mastodon_audiences(audiences: frozenset[str]) -> list[str]:
    found = {a if a in _MASTODON_AUDIENCES else "unsupported_policy" for a in audiences}
    return sorted(found)


def quote_approval(
    policy: Policy, standing: Standing | None, visibility: Visibility
) -> dict[str, Any]:
    """Mastodon's QuoteApproval for a post, as `standing` (None: a visitor) sees it."""
    rule = policy.quote
    if standing is None:
        current = "unknown"
    else:
        current = {
            Decision.automatic: "automatic",
            Decision.manual: "manual",
            Decision.refused: "denied",
        }[decide(policy, Interaction.quote, standing, visibility)]
    return {
        "automatic": _mastodon_audiences(rule.automatic),
        "manual": _mastodon_audiences(rule.manual),
        "current_user": current,
    }


def gts_rules(rule: Rule) -> dict[str, list[str]]:
    """One of GoToSocial's policy rules: the author may always, as GoToSocial shows."""
    return {
        "automatic_approval": ["author", *sorted(rule.automatic)],
        "manual_approval": sorted(rule.manual),
    }


def gts_policy(policy: Policy) -> dict[str, Any]:
    """GoToSocial's `interaction_policy` for a post."""
    return {name: gts_rules(policy.rule(kind)) for name, kind in GTS_KINDS.items()}


def _gts_audience(value: str, where: str) -> str | None:
    word = value.strip().removeprefix("urn:mastodon:").removeprefix("urn:gts:")
    if word in ("author", "me"):
        return None  # the author may always
    if word in _GTS_WORDS or word.startswith(("https://", "http://")):
        return word
    raise ApiError(
        422,
        f"{where}: {value!r} is not an audience; use public, followers, following, mutuals, "
        "mentioned, me or an account's URI.",
    )


def read_gts_policy(call: Call, prefix: str) -> dict[Interaction, Rule]:
    """The rules of a GoToSocial `interaction_policy` object sent under `prefix`
    (`interaction_policy`, or `public` in the defaults); only the kinds it names."""
    found: dict[Interaction, Rule] = {}
    names = {k for k in call.params.values if k.startswith(prefix + "[")}
    for key in names:
        kind = key[len(prefix) + 1 :].split("]", 1)[0]
        if kind not in GTS_KINDS:
            raise ApiError(
                422, f"{prefix}: {kind!r} is not can_favourite, can_reply or can_reblog."
            )
    for name, kind in GTS_KINDS.items():
        lists: list[frozenset[str]] = []
        for part in ("automatic_approval", "manual_approval"):
            where = f"{prefix}[{name}][{part}]"
            raw = call.params.texts(where)
            lists.append(frozenset(a for v in raw if (a := _gts_audience(v, where)) is not None))
        if any(k.startswith(f"{prefix}[{name}]") for k in names):
            found[kind] = Rule(automatic=lists[0], manual=lists[1] - lists[0])
    return found


async def laid_over(call: Call, views: Sequence[PostView], entities: list[dict[str, Any]]) -> None:
    """Each status's `quote_approval` and `interaction_policy`, for the caller: the
    page's policies in one read, the caller's standing with their authors in one more."""
    shown = [v for view in views for v in (view, view.reblog) if v is not None]
    if not shown:
        return
    community = (await call.rules()).interactions.policy()
    policies = await policies_of(call.session, [v.post for v in shown], community)
    standings: dict[int, Standing] = {}
    viewer = call.viewer_id
    if viewer is not None:
        me = call.urls.of_actor(call.actor)
        authors = list({v.post.actor_id for v in shown})
        related = await relationships.between(call.session, viewer, authors, call.now)
        by_author = dict(zip(authors, related, strict=True))
        # Whom each post mentions is in its entity already.
        mentioned = {
            int(e["id"])
            for view, entity in zip(views, entities, strict=True)
            for v, e in ((view, entity), (view.reblog, entity.get("reblog")))
            if v is not None
            and isinstance(e, dict)
            and any(m.get("id") == str(viewer) for m in e.get("mentions", []))
        }
        for v in shown:
            relation = by_author[v.post.actor_id]
            standings[v.post.id] = Standing(
                is_author=v.post.actor_id == viewer,
                follows_author=relation.following,
                followed_by_author=relation.followed_by,
                mentioned=v.post.id in mentioned,
                uri=me,
            )
    pairs: list[tuple[PostView | None, Any]] = []
    for view, entity in zip(views, entities, strict=True):
        pairs += [(view, entity), (view.reblog, entity.get("reblog"))]
    for one, e in pairs:
        if one is not None and isinstance(e, dict):
            policy = policies[one.post.id]
            e["quote_approval"] = quote_approval(
                policy, standings.get(one.post.id), one.post.visibility
            )
            e["interaction_policy"] = gts_policy(policy)


def _defaults_body(defaults: dict[Visibility, Policy]) -> dict[str, Any]:
    return {VISIBILITY_NAMES[v]: gts_policy(p) for v, p in defaults.items()}


@endpoint("read:accounts")
async def get_defaults(call: Call) -> Response:
    """GET /api/v1/interaction_policies/defaults, as GoToSocial answers it."""
    assert call.actor.id is not None
    rules = await call.rules()
    return JSONResponse(
        _defaults_body(await post_policies.defaults_of(call.session, call.actor.id, rules))
    )


@endpoint("write:accounts")
async def update_defaults(call: Call) -> Response:
    """PATCH /api/v1/interaction_policies/defaults: the visibilities sent change, and
    within each only the kinds sent (quotes keep the member's choice)."""
    assert call.actor.id is not None
    rules = await call.rules()
    now = await post_policies.defaults_of(call.session, call.actor.id, rules)
    chosen: dict[Visibility, Policy] = {}
    for visibility, name in VISIBILITY_NAMES.items():
        rules_sent = read_gts_policy(call, name)
        if rules_sent:
            policy = now[visibility]
            for kind, rule in rules_sent.items():
                policy = policy.with_rule(kind, rule)
            chosen[visibility] = policy
    await post_policies.set_defaults(call.session, call.actor.id, chosen, call.now)
    defaults = await post_policies.defaults_of(call.session, call.actor.id, rules)
    return JSONResponse(_defaults_body(defaults))


async def set_quote_default(call: Call, word: str) -> None:
    """`source[quote_policy]` of update_credentials: the quote rule of every default."""
    rule = quote_rule(word)
    assert call.actor.id is not None and rule is not None
    rules = await call.rules()
    now = await post_policies.defaults_of(call.session, call.actor.id, rules)
    chosen = {v: p.with_rule(Interaction.quote, rule) for v, p in now.items()}
    await post_policies.set_defaults(call.session, call.actor.id, chosen, call.now)


async def quote_default(call: Call) -> str:
    """Mastodon's `quote_policy` word for the member's public posts."""
    assert call.actor.id is not None
    now = await post_policies.defaults_of(call.session, call.actor.id, await call.rules())
    return quote_word(now[Visibility.public].quote)


def composed_rules(call: Call) -> dict[Interaction, Rule]:
    """The rules a new post's author chose in POST /api/v1/statuses: Mastodon's
    `quote_approval_policy` and GoToSocial's `interaction_policy` (the kinds sent)."""
    chosen = read_gts_policy(call, "interaction_policy")
    rule = quote_rule(call.params.text("quote_approval_policy"))
    if rule is not None:
        chosen[Interaction.quote] = rule
    return chosen
