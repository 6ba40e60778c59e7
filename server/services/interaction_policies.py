"""Interaction policies: who may reply to, like, boost or quote a post, and with whose
approval. Pure rules here; reading and storing them is server/services/policy_reads.py.

A rule lists audiences approved automatically and audiences who may ask. Audiences are
the named groups below or a person's actor URI (a remote server may name people). A
person in neither list may not interact at all. The author may always interact with
their own post, and people mentioned in it are approved where the rule says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from server.models.interaction_policies import Interaction
from server.models.posts import Visibility
from server.services.errors import Invalid

__all__ = [
    "ANYONE",
    "AUTHOR_ONLY",
    "Audience",
    "Decision",
    "Interaction",
    "PRESETS",
    "Policy",
    "REMOTE_DEFAULT",
    "Rule",
    "Standing",
    "capped",
    "decide",
    "preset_of",
]


class Audience(StrEnum):
    anyone = "public"
    followers = "followers"  # people who follow the author
    following = "following"  # people the author follows
    mutuals = "mutuals"  # both
    mentioned = "mentioned"  # people the post mentions


class Decision(StrEnum):
    automatic = "automatic"  # goes ahead
    manual = "manual"  # waits for the author's approval
    refused = "refused"


_NAMED = frozenset(a.value for a in Audience)


def _audience(value: str) -> str:
    if value in _NAMED or value.startswith(("https://", "http://")):
        return value
    raise Invalid(f"Unknown audience {value!r} in an interaction policy.", field="policy")


@dataclass(frozen=True)
class Rule:
    """Who is approved automatically, and who may ask, for one kind of interaction."""

    automatic: frozenset[str] = frozenset()
    manual: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {"automatic": sorted(self.automatic), "manual": sorted(self.manual)}

    @classmethod
    def from_json(cls, data: Any) -> Rule:
        """The rule `data` holds; Invalid when it has unknown fields or audiences."""
        if not isinstance(data, Mapping) or set(data) - {"automatic", "manual"}:
            raise Invalid("A policy rule has only `automatic` and `manual`.", field="policy")
        lists = []
        for key in ("automatic", "manual"):
            raw = data.get(key, [])
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise Invalid(f"`{key}` must be a list of audiences.", field="policy")
            lists.append(frozenset(_audience(v) for v in raw))
        return cls(automatic=lists[0], manual=lists[1] - lists[0])


#: The rules a member chooses from, by name (the composer, settings, norms, intents).
PRESETS: dict[str, Rule] = {
    "anyone": Rule(automatic=frozenset({Audience.anyone})),
    "anyone-asks": Rule(manual=frozenset({Audience.anyone})),
    "followers": Rule(automatic=frozenset({Audience.followers, Audience.mentioned})),
    "followers-others-ask": Rule(
        automatic=frozenset({Audience.followers, Audience.mentioned}),
        manual=frozenset({Audience.anyone}),
    ),
    "following": Rule(automatic=frozenset({Audience.following, Audience.mentioned})),
    "following-others-ask": Rule(
        automatic=frozenset({Audience.following, Audience.mentioned}),
        manual=frozenset({Audience.anyone}),
    ),
    "mutuals": Rule(automatic=frozenset({Audience.mutuals, Audience.mentioned})),
    "mutuals-others-ask": Rule(
        automatic=frozenset({Audience.mutuals, Audience.mentioned}),
        manual=frozenset({Audience.anyone}),
    ),
    "mentioned": Rule(automatic=frozenset({Audience.mentioned})),
    "nobody": Rule(),
}

#: Plain words for each preset, for forms and explanations.
PRESET_LABELS: dict[str, str] = {
    "anyone": "Anyone",
    "anyone-asks": "Anyone, with my approval",
    "followers": "My followers and people I mention",
    "followers-others-ask": "My followers and people I mention; others ask me",
    "following": "People I follow and people I mention",
    "following-others-ask": "People I follow and people I mention; others ask me",
    "mutuals": "Mutuals and people I mention",
    "mutuals-others-ask": "Mutuals and people I mention; others ask me",
    "mentioned": "Only people I mention",
    "nobody": "Nobody but me",
}

ANYONE = PRESETS["anyone"]
AUTHOR_ONLY = PRESETS["nobody"]


def preset_of(rule: Rule) -> str | None:
    """The preset's name `rule` is, if it is one."""
    return next((name for name, preset in PRESETS.items() if preset == rule), None)


@dataclass(frozen=True)
class Policy:
    """A post's rules for each kind of interaction."""

    reply: Rule = ANYONE
    like: Rule = ANYONE
    boost: Rule = ANYONE
    quote: Rule = field(default=AUTHOR_ONLY)

    def rule(self, interaction: Interaction) -> Rule:
        rule: Rule = getattr(self, interaction.value)
        return rule

    def with_rule(self, interaction: Interaction, rule: Rule) -> Policy:
        return replace(self, **{interaction.value: rule})

    def to_json(self) -> dict[str, Any]:
        return {i.value: self.rule(i).to_json() for i in Interaction}

    @classmethod
    def from_json(cls, data: Any) -> Policy:
        """The policy `data` holds (a stored or submitted one); Invalid when it has
        unknown fields. Kinds it leaves out keep the defaults."""
        if not isinstance(data, Mapping):
            raise Invalid("An interaction policy is an object.", field="policy")
        unknown = set(data) - {i.value for i in Interaction}
        if unknown:
            raise Invalid(
                f"Unknown interaction {sorted(unknown)[0]!r} in a policy: use reply, like, "
                "boost or quote.",
                field="policy",
            )
        policy = cls()
        for interaction in Interaction:
            if interaction.value in data:
                policy = policy.with_rule(interaction, Rule.from_json(data[interaction.value]))
        return policy

    @classmethod
    def from_presets(cls, names: Mapping[Interaction, str]) -> Policy:
        """The policy made of the named presets; Invalid naming the first unknown one."""
        policy = cls()
        for interaction, name in names.items():
            if name not in PRESETS:
                raise Invalid(
                    f"Choose who may {interaction.value} from the list.",
                    field=f"policy_{interaction.value}",
                )
            policy = policy.with_rule(interaction, PRESETS[name])
        return policy


#: A remote post whose server published no policy: Mastodon's reading, anyone may
#: reply, like and boost, and nobody but the author may quote.
REMOTE_DEFAULT = Policy()


def capped(policy: Policy, visibility: Visibility) -> Policy:
    """A policy never widens visibility: a followers-only or direct post cannot be
    boosted or quoted by anyone but its author, whatever the policy says."""
    if visibility in (Visibility.public, Visibility.unlisted):
        return policy
    return replace(policy, boost=AUTHOR_ONLY, quote=AUTHOR_ONLY)


@dataclass(frozen=True)
class Standing:
    """How a person stands with a post's author, as far as a policy cares."""

    is_author: bool = False
    follows_author: bool = False
    followed_by_author: bool = False
    mentioned: bool = False
    uri: str | None = None

    def matches(self, audiences: Iterable[str]) -> bool:
        for audience in audiences:
            if (
                audience == Audience.anyone
                or (audience == Audience.followers and self.follows_author)
                or (audience == Audience.following and self.followed_by_author)
                or (
                    audience == Audience.mutuals and self.follows_author and self.followed_by_author
                )
                or (audience == Audience.mentioned and self.mentioned)
                or (self.uri is not None and audience == self.uri)
            ):
                return True
        return False


def decide(
    policy: Policy, interaction: Interaction, standing: Standing, visibility: Visibility
) -> Decision:
    """Whether `standing` may do `interaction` with a post under `policy` at once, after
    the author's approval, or not at all."""
    if standing.is_author:
        return Decision.automatic
    rule = capped(policy, visibility).rule(interaction)
    if standing.matches(rule.automatic):
        return Decision.automatic
    if standing.matches(rule.manual):
        return Decision.manual
    return Decision.refused
