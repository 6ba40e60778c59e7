"""Interaction policies as rules: who may reply, like, boost and quote, and who asks."""

from __future__ import annotations

import pytest

from server.models import Visibility
from server.services.errors import Invalid
from server.services.interaction_policies import (
    PRESETS,
    REMOTE_DEFAULT,
    Decision,
    Interaction,
    Policy,
    Rule,
    Standing,
    capped,
    decide,
)
from server.services.norms_registry import PRESET_NAMES

STRANGER = Standing(uri="https://elsewhere.example/users/zed")
FOLLOWER = Standing(follows_author=True)
FOLLOWED = Standing(followed_by_author=True)
MUTUAL = Standing(follows_author=True, followed_by_author=True)
MENTIONED = Standing(mentioned=True)


def test_the_norms_name_exactly_the_presets() -> None:
    assert tuple(PRESETS) == PRESET_NAMES


def test_presets_approve_some_ask_others_and_refuse_the_rest() -> None:
    policy = Policy(reply=PRESETS["following-others-ask"], quote=PRESETS["nobody"])
    public = Visibility.public
    assert decide(policy, Interaction.reply, FOLLOWED, public) is Decision.automatic
    assert decide(policy, Interaction.reply, MENTIONED, public) is Decision.automatic
    assert decide(policy, Interaction.reply, STRANGER, public) is Decision.manual
    assert decide(policy, Interaction.quote, MUTUAL, public) is Decision.refused
    assert decide(policy, Interaction.quote, Standing(is_author=True), public) is (
        Decision.automatic
    )
    mutuals = Policy(reply=PRESETS["mutuals"])
    assert decide(mutuals, Interaction.reply, FOLLOWER, public) is Decision.refused
    assert decide(mutuals, Interaction.reply, MUTUAL, public) is Decision.automatic


def test_a_person_named_by_their_uri_is_matched() -> None:
    named = Policy(reply=Rule(automatic=frozenset({STRANGER.uri or ""})))
    assert decide(named, Interaction.reply, STRANGER, Visibility.public) is Decision.automatic
    assert decide(named, Interaction.reply, FOLLOWER, Visibility.public) is Decision.refused


def test_followers_only_and_direct_posts_are_never_boosted_or_quoted() -> None:
    open_policy = Policy(boost=PRESETS["anyone"], quote=PRESETS["anyone"])
    for visibility in (Visibility.followers, Visibility.direct):
        assert capped(open_policy, visibility).boost == PRESETS["nobody"]
        for interaction in (Interaction.boost, Interaction.quote):
            assert decide(open_policy, interaction, MUTUAL, visibility) is Decision.refused
    assert decide(open_policy, Interaction.quote, STRANGER, Visibility.unlisted) is (
        Decision.automatic
    )


def test_silence_from_another_server_means_anyone_may_answer_and_nobody_quote() -> None:
    assert decide(REMOTE_DEFAULT, Interaction.reply, STRANGER, Visibility.public) is (
        Decision.automatic
    )
    assert decide(REMOTE_DEFAULT, Interaction.quote, STRANGER, Visibility.public) is (
        Decision.refused
    )


def test_a_policy_survives_its_json_and_refuses_unknown_fields() -> None:
    policy = Policy(reply=PRESETS["followers-others-ask"], like=PRESETS["mentioned"])
    assert Policy.from_json(policy.to_json()) == policy
    for bad in (
        {"canReply": {}},
        {"reply": {"automatic": ["public"], "sometimes": []}},
        {"reply": {"automatic": ["friends-of-friends"]}},
        {"reply": {"automatic": "public"}},
        ["reply"],
    ):
        with pytest.raises(Invalid):
            Policy.from_json(bad)
    with pytest.raises(Invalid, match="who may quote"):
        Policy.from_presets({Interaction.quote: "everyone-but-ben"})
