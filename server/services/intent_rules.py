"""Intents' rules: the interaction policy a post's intent brings (the `intents.rules` norm).

Each line of the norm names an intent and the presets it sets, for example
`venting — no advice please: reply=mutuals-others-ask, quote=nobody`. Interactions a
line leaves out keep the member's default; the member can still change any of them for
one post.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from server.models.interaction_policies import Interaction
from server.services.errors import Invalid
from server.services.interaction_policies import PRESET_LABELS, PRESETS, Policy

#: Intent → the presets it sets, by interaction.
IntentRules = Mapping[str, Mapping[Interaction, str]]

FIELD = "intents.rules"


def _line(line: str, intents: Iterable[str]) -> tuple[str, dict[Interaction, str]]:
    intent, colon, rest = line.rpartition(":")
    intent = " ".join(intent.split())
    if not colon or not intent:
        raise Invalid(
            f"“{line}” needs an intent, a colon, then rules: "
            "“celebrating: reply=anyone, quote=followers”.",
            field=FIELD,
        )
    if intent not in intents:
        raise Invalid(
            f"“{intent}” is not one of the intents (What a post can be looking for): "
            "add it there first, or correct the spelling.",
            field=FIELD,
        )
    chosen: dict[Interaction, str] = {}
    for part in rest.split(","):
        kind, equals, name = (p.strip() for p in part.partition("="))
        if not equals or kind not in Interaction.__members__:
            raise Invalid(
                f"In “{line}”, “{part.strip()}” should be reply=, like=, boost= or quote= "
                "followed by a preset.",
                field=FIELD,
            )
        if name not in PRESETS:
            raise Invalid(
                f"In “{line}”, “{name}” is not a preset; use one of: {', '.join(PRESETS)}.",
                field=FIELD,
            )
        chosen[Interaction(kind)] = name
    return intent, chosen


def parse(lines: Iterable[str], intents: Iterable[str]) -> IntentRules:
    """The rules each intent brings; Invalid, naming the line, for a line that names an
    unknown intent, interaction or preset (an admin's edit of the norm)."""
    known = tuple(intents)
    found: dict[str, Mapping[Interaction, str]] = {}
    for line in lines:
        intent, chosen = _line(line, known)
        found[intent] = MappingProxyType(chosen)
    return MappingProxyType(found)


def usable(lines: Iterable[str], intents: Iterable[str]) -> IntentRules:
    """The rules of the lines that still read right: an intent removed from the list
    since, or a line stored before a preset was renamed, brings nothing."""
    known = tuple(intents)
    found: dict[str, Mapping[Interaction, str]] = {}
    for line in lines:
        try:
            intent, chosen = _line(line, known)
        except Invalid:
            continue
        found[intent] = MappingProxyType(chosen)
    return MappingProxyType(found)


def overlay(policy: Policy, chosen: Mapping[Interaction, str] | None) -> Policy:
    """`policy` with the intent's presets in place of its own rules."""
    for interaction, name in (chosen or {}).items():
        policy = policy.with_rule(interaction, PRESETS[name])
    return policy


def described(chosen: Mapping[Interaction, str]) -> str:
    """The rules an intent brings, in words: "reply: Mutuals …; quote: Nobody but me"."""
    return "; ".join(
        f"{interaction.value}: {PRESET_LABELS[name].lower()}"
        for interaction, name in chosen.items()
    )
