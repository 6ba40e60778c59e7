"""Intents' rules as an admin writes them, policies in plain words, and a policy as other
servers read it (pure functions, no database)."""

from __future__ import annotations

import pytest

from federation.policy_docs import interaction_policy, policy_doc, policy_from
from server.models.interaction_policies import Interaction
from server.services import intent_rules, policy_words
from server.services.errors import Invalid
from server.services.interaction_policies import PRESETS, Policy, Rule

INTENTS = ("celebrating", "venting — no advice please")
ANA = "https://porch.test/users/ana"
BEN = "https://elsewhere.test/users/ben"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def test_each_line_gives_its_intent_the_presets_it_names() -> None:
    found = intent_rules.parse(
        ["venting — no advice please: reply=mutuals-others-ask, quote=nobody"], INTENTS
    )
    assert dict(found["venting — no advice please"]) == {
        Interaction.reply: "mutuals-others-ask",
        Interaction.quote: "nobody",
    }
    policy = intent_rules.overlay(Policy(), found["venting — no advice please"])
    assert policy.reply == PRESETS["mutuals-others-ask"] and policy.like == PRESETS["anyone"]


def test_a_line_an_admin_got_wrong_is_refused_naming_it_and_skipped_in_use() -> None:
    with pytest.raises(Invalid, match="“gossip” is not one of the intents"):
        intent_rules.parse(["gossip: reply=nobody"], INTENTS)
    lines = ["gossip: reply=nobody", "celebrating: quote=anyone"]
    assert list(intent_rules.usable(lines, INTENTS)) == ["celebrating"]


def test_the_author_reads_the_rules_in_short_clauses() -> None:
    venting = Policy(reply=PRESETS["mutuals-others-ask"], quote=PRESETS["nobody"])
    assert policy_words.summary(venting) == (
        "replies from people who are not mutuals need your approval; anyone may boost; no quotes"
    )
    odd = Rule(automatic=frozenset({BEN}))
    assert policy_words.for_author(Interaction.reply, odd) == "replies follow rules set elsewhere"


def test_a_reader_is_told_how_the_author_limits_them() -> None:
    assert policy_words.for_reader(Interaction.reply, PRESETS["anyone"], "Ana") is None
    assert policy_words.for_reader(Interaction.reply, PRESETS["following"], "Ana") == (
        "Only people Ana follows can reply"
    )
    assert policy_words.for_reader(Interaction.boost, PRESETS["anyone-asks"], "Ana") == (
        "Boosts ask Ana first"
    )


def test_people_mentioned_are_published_by_their_ids_and_read_back_as_people() -> None:
    policy = Policy(reply=PRESETS["followers"])
    published = interaction_policy(policy, ANA, ANA + "/followers", ANA + "/following", [BEN])
    assert published["canReply"]["automaticApproval"] == [ANA, ANA + "/followers", BEN]
    assert published["canLike"]["automaticApproval"] == [ANA, PUBLIC]
    read = policy_from(policy_doc(published), ANA, ANA + "/followers")
    assert read is not None
    assert read.reply == Rule(automatic=frozenset({"followers", BEN}))
    assert read.quote == Rule()  # the author only, as published
