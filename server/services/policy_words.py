"""Interaction policies in plain words: for the author choosing them ("replies from people
who are not mutuals need your approval") and for a reader looking at a post ("Only people
Ana follows can reply")."""

from __future__ import annotations

from collections.abc import Mapping

from server.models.interaction_policies import Interaction
from server.services.interaction_policies import PRESETS, Decision, Policy, Rule, preset_of

_NOUN = {"reply": "replies", "like": "likes", "boost": "boosts", "quote": "quotes"}
#: Whom a preset approves, and everyone else, as the author reads it.
_WHO = {
    "followers": ("your followers and people you mention", "people who do not follow you"),
    "following": ("people you follow and people you mention", "people you do not follow"),
    "mutuals": ("mutuals and people you mention", "people who are not mutuals"),
}


def for_author(interaction: Interaction, rule: Rule) -> str:
    """What `rule` means for the post's author, in a short clause."""
    verb, noun = interaction.value, _NOUN[interaction.value]
    name = preset_of(rule)
    if name == "anyone":
        return f"anyone may {verb}"
    if name == "anyone-asks":
        return f"{noun} need your approval"
    if name == "mentioned":
        return f"only people you mention may {verb}"
    if name == "nobody":
        return f"no {noun}"
    if name is not None and name.removesuffix("-others-ask") in _WHO:
        approved, others = _WHO[name.removesuffix("-others-ask")]
        if name.endswith("-others-ask"):
            return f"{noun} from {others} need your approval"
        return f"only {approved} may {verb}"
    return f"{noun} follow rules set elsewhere"


def summary(policy: Policy, kinds: tuple[Interaction, ...] | None = None) -> str:
    """The rules in force, one clause each: "anyone may reply; no quotes"."""
    shown = kinds or (Interaction.reply, Interaction.boost, Interaction.quote)
    return "; ".join(for_author(kind, policy.rule(kind)) for kind in shown)


def intent_brings(intent: str, chosen: Mapping[Interaction, str]) -> str:
    """What choosing an intent changes, as the composer says it."""
    clauses = "; ".join(for_author(kind, PRESETS[name]) for kind, name in chosen.items())
    return f"“{intent}” brings: {clauses}."


#: How a rule limits a reader, in words naming the author.
_READER = {
    "anyone-asks": "{Noun} ask {name} first",
    "followers": "Only people who follow {name} can {verb}",
    "followers-others-ask": "People who do not follow {name} ask first to {verb}",
    "following": "Only people {name} follows can {verb}",
    "following-others-ask": "People {name} does not follow ask first to {verb}",
    "mutuals": "Only {name}'s mutuals can {verb}",
    "mutuals-others-ask": "People who are not {name}'s mutuals ask first to {verb}",
    "mentioned": "Only people {name} mentions can {verb}",
    "nobody": "Only {name} can {verb}",
}


def for_reader(interaction: Interaction, rule: Rule, name: str) -> str | None:
    """How `rule` limits people other than the author (None: it does not)."""
    preset = preset_of(rule)
    if preset == "anyone":
        return None
    verb, noun = interaction.value, _NOUN[interaction.value]
    if preset is None:
        return f"{name}'s server limits who can {verb}"
    return _READER[preset].format(name=name, verb=verb, Noun=noun.capitalize())


def limited_label(policy: Policy) -> str | None:
    """The compact label of a post whose replies are limited."""
    return None if preset_of(policy.reply) == "anyone" else "replies limited"


def button_state(decision: Decision) -> str:
    """How the reader's own control looks: open, asks first, or greyed."""
    return {Decision.automatic: "open", Decision.manual: "asks", Decision.refused: "closed"}[
        decision
    ]
