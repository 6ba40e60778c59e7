"""`interactionPolicy` on Notes: what Porch publishes, and what it reads from Mastodon-
and GoToSocial-shaped Notes (GoToSocial's docs/federation/interaction_policy.md examples)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col

from server.models import Post, PostEdit
from server.models.interaction_policies import PostPolicy
from server.services.interaction_policies import PRESETS, Policy, Rule
from tests.federation.conftest import World
from tests.federation.mastodon_double import Scene, scene_fixture  # noqa: F401
from tests.federation.test_flows import find_and_follow

REPLY = "create_note_reply_mention"
ZOE = "https://mastodon.test/users/zoe"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
GTS = json.loads(
    (Path(__file__).parent / "fixtures" / "gotosocial" / "interaction_policies.json").read_text()
)


def with_policy(policy: Any) -> Any:
    def mutate(activity: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(activity)
        changed["object"]["interactionPolicy"] = policy
        return changed

    return mutate


async def policy_of(scene: Scene, uri: str) -> Policy | None:
    post = await scene.post_by_uri(uri)
    assert post is not None
    rows = await scene.rows(PostPolicy, col(PostPolicy.post_id) == post.id)
    return Policy.from_json(rows[0].policy) if rows else None


async def zoe_reply(scene: Scene, policy: Any) -> Policy | None:
    response = await scene.deliver(REPLY, mutate=with_policy(policy))
    assert response.status_code == 202, response.text
    return await policy_of(scene, scene.load(REPLY)["object"]["id"])


async def test_mastodon_s_quote_policy_is_kept_and_the_rest_is_its_default(scene: Scene) -> None:
    """Zoe's Mastodon publishes only canQuote: anyone may quote her reply."""
    assert (await scene.deliver(REPLY)).status_code == 202
    found = await policy_of(scene, scene.load(REPLY)["object"]["id"])
    assert found == Policy(quote=PRESETS["anyone"])


async def test_a_note_without_a_policy_keeps_no_row(scene: Scene) -> None:
    assert await zoe_reply(scene, None) is None


async def test_gotosocial_v0_20_with_both_name_sets_reads_as_anyone(scene: Scene) -> None:
    found = await zoe_reply(scene, GTS["everyone_both_names"])
    assert found == Policy()  # anyone replies, likes, boosts; canQuote absent: nobody


async def test_a_single_string_naming_the_author_means_nobody_else(scene: Scene) -> None:
    found = await zoe_reply(scene, GTS["author_only_string"])
    assert found is not None and found.reply == Rule() and found.like == PRESETS["anyone"]


async def test_public_in_manual_approval_means_everyone_else_asks(scene: Scene) -> None:
    found = await zoe_reply(scene, GTS["participants_then_ask"])
    assert found is not None
    assert found.reply.automatic == {
        "https://mastodon.test/users/booblover6969",
        "https://mastodon.test/users/hodor",
    }
    assert found.reply.manual == {"public"}
    assert found.boost.automatic == {"followers"}


async def test_the_older_names_and_the_following_collection_are_read(scene: Scene) -> None:
    found = await zoe_reply(scene, GTS["older_names"])
    assert found is not None
    assert found.reply == Rule(automatic=frozenset({"following"}), manual=frozenset({"public"}))


@pytest.mark.parametrize(
    "policy",
    [
        "https://www.w3.org/ns/activitystreams#Public",
        {"canBless": {"automaticApproval": [PUBLIC]}},
        {"canReply": {"automaticApproval": [PUBLIC], "sometimes": [PUBLIC]}},
        {"canReply": {"automaticApproval": [7]}},
        {"canReply": {"automaticApproval": "friends"}},
        {"canReply": [PUBLIC]},
    ],
    ids=["not-an-object", "unknown-sub-policy", "unknown-key", "number", "not-a-uri", "list"],
)
async def test_a_malformed_policy_is_refused_and_nothing_is_stored(
    scene: Scene, policy: Any
) -> None:
    before = await scene.counts()
    response = await scene.deliver(REPLY, mutate=with_policy(policy))
    assert response.status_code == 400, response.text
    assert "interactionPolicy" in response.text
    assert await scene.counts() == before
    assert await scene.post_by_uri(scene.load(REPLY)["object"]["id"]) is None


async def test_ana_s_note_publishes_her_policy_in_both_name_sets(scene: Scene) -> None:
    """Ana's post follows the norms: anyone replies, likes and boosts; her followers
    (and people she mentions) quote; others ask."""
    note = await scene.visitor().get(
        f"/users/ana/statuses/{scene.ana_post_id}", headers={"Accept": "application/activity+json"}
    )
    body = note.json()
    ana = "https://porch.test/users/ana"
    policy = body["interactionPolicy"]
    assert policy["canReply"]["automaticApproval"] == [ana, PUBLIC]
    assert policy["canQuote"] == {
        "automaticApproval": [ana, ana + "/followers"],
        "manualApproval": [PUBLIC],
        "always": [ana, ana + "/followers"],
        "approvalRequired": [PUBLIC],
    }
    terms = body["@context"][-1]
    assert terms["gts"] == "https://gotosocial.org/ns#" and "canQuote" in terms


async def test_mutuals_are_published_as_followers_who_ask(scene: Scene) -> None:
    answer = await scene.ana.client.post(
        "/posts",
        data={
            "text": "Between us",
            "visibility": "public",
            "policy_reply": "mutuals",
            "csrf_token": await scene.ana.token(),
        },
    )
    assert answer.status_code == 303, answer.text
    post_id = answer.headers["location"].rsplit("/", 1)[1]
    await scene.drain(60)
    note = await scene.visitor().get(
        f"/users/ana/statuses/{post_id}", headers={"Accept": "application/activity+json"}
    )
    ana = "https://porch.test/users/ana"
    assert note.json()["interactionPolicy"]["canReply"] == {
        "automaticApproval": [ana],
        "manualApproval": [ana + "/followers"],
        "always": [ana],
        "approvalRequired": [ana + "/followers"],
    }


async def test_ana_s_policy_reaches_ben_s_server_and_its_change_follows(world_on: World) -> None:
    """Ben on porch-a.test follows Ana on porch-b.test. Her post says only followers
    reply and nobody quotes; then she opens quotes to anyone, and Ben's server hears it
    without a new version of the post. Both servers on SQLite, then on PostgreSQL."""
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ben = await a.sign_up("ben")
    ana = await b.sign_up("ana")
    await find_and_follow(world, "ben", "@ana@porch-b.test")
    await world.settle()
    post_id = await ana.post("Tea on the porch tonight")
    async with b.app.state.sessions() as session:
        row = await session.get(PostPolicy, post_id)
        assert row is not None
        row.policy = Policy(quote=PRESETS["nobody"], reply=PRESETS["followers"]).to_json()
        session.add(row)
        await session.commit()
    await world.settle(31)
    uri = f"https://porch-b.test/users/ana/statuses/{post_id}"

    async def there() -> tuple[Policy | None, int]:
        async with a.app.state.sessions() as session:
            post = (await session.exec(Post.__table__.select().where(Post.uri == uri))).first()
            assert post is not None, "Ana's post did not arrive"
            row = await session.get(PostPolicy, post.id)
            edits = (
                await session.exec(PostEdit.__table__.select().where(PostEdit.post_id == post.id))
            ).all()
            return (Policy.from_json(row.policy) if row else None), len(edits)

    # "People Ana mentions" arrive as the people themselves: this post mentions nobody.
    followers = Rule(automatic=frozenset({"followers"}))
    assert await there() == (Policy(quote=PRESETS["nobody"], reply=followers), 0)
    token = await ana.token(f"/posts/{post_id}/policy")
    changed = await ana.client.post(
        f"/posts/{post_id}/policy",
        data={"policy_quote": "anyone", "csrf_token": token},
    )
    assert changed.status_code == 303, changed.text
    await world.settle()
    found, edits = await there()
    assert found is not None and found.quote == PRESETS["anyone"] and edits == 0
    # Shown there: Ben follows Ana, so he may reply; the post says replies are limited.
    page = await ben.client.get("/")
    assert "Tea on the porch tonight" in page.text and "replies limited" in page.text


NOTE = "https://mastodon.test/users/zoe/statuses/113800000000000001"


def zoe_quote_policy(automatic: list[Any], *, updated: bool) -> Any:
    def mutate(activity: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(activity)
        changed["object"]["interactionPolicy"] = {"canQuote": {"automaticApproval": automatic}}
        if not updated:
            del changed["object"]["updated"]
        return changed

    return mutate


async def edits_of(scene: Scene) -> list[PostEdit]:
    post = await scene.post_by_uri(NOTE)
    assert post is not None
    return await scene.rows(PostEdit, col(PostEdit.post_id) == post.id)


async def test_zoe_closes_quotes_on_a_post_she_never_edited(scene: Scene) -> None:
    """Mastodon sends a changed quote policy as an Update without `updated`: the policy
    changes, and the post gets no new version."""
    await scene.ana_follows_zoe()
    assert (await scene.deliver("create_note_public")).status_code == 202
    assert await policy_of(scene, NOTE) == Policy(quote=PRESETS["anyone"])
    closed = zoe_quote_policy([ZOE], updated=False)
    assert (await scene.deliver("update_note", mutate=closed)).status_code == 202
    assert await policy_of(scene, NOTE) == Policy()  # the author only quotes
    assert await edits_of(scene) == []


async def test_an_edit_brings_its_new_policy_with_it(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    assert (await scene.deliver("create_note_public")).status_code == 202
    followers = zoe_quote_policy([ZOE + "/followers"], updated=True)
    assert (await scene.deliver("update_note", mutate=followers)).status_code == 202
    found = await policy_of(scene, NOTE)
    assert found is not None and found.quote == Rule(automatic=frozenset({"followers"}))
    assert len(await edits_of(scene)) == 1  # the text changed: a new version


async def test_a_malformed_policy_in_an_update_changes_nothing(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    assert (await scene.deliver("create_note_public")).status_code == 202
    odd = zoe_quote_policy([7], updated=True)
    assert (await scene.deliver("update_note", mutate=odd)).status_code == 400
    assert await policy_of(scene, NOTE) == Policy(quote=PRESETS["anyone"])
    assert await edits_of(scene) == []
