"""`interactionPolicy` on Notes: what Porch publishes of a post's policy, and reading the
policy another server published (GoToSocial's terms, which Mastodon uses for canQuote).

Published: canReply, canLike, canAnnounce and canQuote, each with `automaticApproval` /
`manualApproval` and GoToSocial's older `always` / `approvalRequired` (GoToSocial before
v0.20 reads only those). Audiences become URIs: as:Public, the author's followers and
following collections, the actors a post mentions. "Mutuals" has no URI: it is published
as the followers collection in `manualApproval`, never wider than what Porch enforces
(a follower who is not a mutual asks, and is refused or approved here). The author is
always in `automaticApproval`, as GoToSocial writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from federation.malformed import Malformed
from server.models.interaction_policies import Interaction
from server.services.interaction_policies import Audience, Policy, Rule
from server.urls import PUBLIC, PUBLIC_ALIASES

#: The sub-policies, by their ActivityStreams names.
KINDS = {
    "canReply": Interaction.reply,
    "canLike": Interaction.like,
    "canAnnounce": Interaction.boost,
    "canQuote": Interaction.quote,
}
AUTOMATIC, MANUAL = ("automaticApproval", "always"), ("manualApproval", "approvalRequired")
#: Context terms for the policy, as Mastodon declares them (prefix gts:).
CONTEXT_TERMS: dict[str, Any] = {
    "gts": "https://gotosocial.org/ns#",
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canReply": {"@id": "gts:canReply", "@type": "@id"},
    "canLike": {"@id": "gts:canLike", "@type": "@id"},
    "canAnnounce": {"@id": "gts:canAnnounce", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "always": {"@id": "gts:always", "@type": "@id"},
    "approvalRequired": {"@id": "gts:approvalRequired", "@type": "@id"},
}
#: The most URIs one list may hold: a policy names groups, and a few people.
MAX_URIS = 200

#: A sub-policy as read: its automatic and manual lists of URIs.
Lists = tuple[tuple[str, ...], tuple[str, ...]]


def _uris(
    audiences: Iterable[str], author: str, followers: str, following: str, mentioned: list[str]
) -> list[str]:
    found: list[str] = []
    for audience in sorted(audiences):  # the same document every time it is built
        if audience == Audience.anyone:
            found.append(PUBLIC)
        elif audience in (Audience.followers, Audience.mutuals):
            found.append(followers)
        elif audience == Audience.following:
            found.append(following)
        elif audience == Audience.mentioned:
            found += mentioned
        else:
            found.append(audience)
    return list(dict.fromkeys(u for u in found if u != author))


def interaction_policy(
    policy: Policy, author: str, followers: str, following: str, mentioned: list[str]
) -> dict[str, Any]:
    """The `interactionPolicy` of a post with `policy` (already capped by visibility)."""
    body: dict[str, Any] = {}
    for name, kind in KINDS.items():
        rule = policy.rule(kind)
        # Mutuals are approved here, but only the followers collection can say who may
        # ask: published as asking, so no server takes a follower as approved.
        automatic = [author] + _uris(
            rule.automatic - {Audience.mutuals}, author, followers, following, mentioned
        )
        asking = rule.manual | (rule.automatic & {Audience.mutuals})
        manual = [
            u for u in _uris(asking, author, followers, following, mentioned) if u not in automatic
        ]
        body[name] = {
            "automaticApproval": automatic,
            "manualApproval": manual,
            "always": automatic,
            "approvalRequired": manual,
        }
    return body


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in items):
        raise Malformed(f"interactionPolicy.{where} must be a URI or a list of URIs.")
    if len(items) > MAX_URIS:
        raise Malformed(f"interactionPolicy.{where} names more than {MAX_URIS} URIs.")
    return tuple(items)


def policy_doc(raw: Any) -> dict[str, Lists] | None:
    """The sub-policies an `interactionPolicy` holds (None when absent, null or empty);
    Malformed for a policy Porch cannot read: not an object, an unknown `can…` sub-policy,
    unknown keys inside one, values that are not URIs."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        raise Malformed("interactionPolicy must be an object.")
    found: dict[str, Lists] = {}
    for name, sub in raw.items():
        if not isinstance(name, str) or not name.startswith("can"):
            continue  # a later extension beside the sub-policies: not for Porch to judge
        if name not in KINDS:
            raise Malformed(f"interactionPolicy has an unknown sub-policy {name!r}.")
        if sub is None or sub == {}:
            continue  # the default for that kind
        if not isinstance(sub, Mapping):
            raise Malformed(f"interactionPolicy.{name} must be an object.")
        unknown = set(sub) - {*AUTOMATIC, *MANUAL}
        if unknown:
            raise Malformed(f"interactionPolicy.{name} has an unknown key {sorted(unknown)[0]!r}.")
        lists = [
            tuple(dict.fromkeys(u for key in keys for u in _strings(sub.get(key), f"{name}.{key}")))
            for keys in (AUTOMATIC, MANUAL)
        ]
        found[name] = (lists[0], lists[1])
    return found


def _audience(uri: str, author: str, followers: str | None) -> str | None:
    if uri in PUBLIC_ALIASES:
        return Audience.anyone
    if uri == author:
        return None  # the author may always
    if uri == (followers or author + "/followers"):
        return Audience.followers
    # Actors keep no following URL here; Mastodon, GoToSocial and Porch all name it so.
    if uri == author + "/following":
        return Audience.following
    if not uri.startswith(("https://", "http://")):
        raise Malformed(f"interactionPolicy names {uri[:100]!r}, which is not a URI.")
    return uri


def policy_from(
    doc: Mapping[str, Lists] | None, author: str, followers: str | None
) -> Policy | None:
    """The Policy a remote post's published sub-policies mean (None: nothing published,
    so the reading of silence applies). Kinds left out keep GoToSocial's defaults:
    anyone replies, likes and boosts; nobody but the author quotes."""
    if doc is None:
        return None
    policy = Policy()
    for name, (automatic, manual) in doc.items():
        auto = {a for u in automatic if (a := _audience(u, author, followers)) is not None}
        asks = {a for u in manual if (a := _audience(u, author, followers)) is not None}
        policy = policy.with_rule(
            KINDS[name], Rule(automatic=frozenset(auto), manual=frozenset(asks - auto))
        )
    return policy
