"""Zoe elsewhere replies to, likes and boosts Ana's post, whose rules ask for Ana's
approval or keep Zoe out; Ana decides; Zoe's server hears it as GoToSocial expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import col

from federation.signatures import KeyPair
from server.models import Like, Notification, NotificationKind, Post, PostState
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import blocks, policy_reads
from server.services.interaction_policies import Policy
from tests.federation.mastodon_double import (
    AS2,
    OTHER,
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)

GTS_FIXTURES = Path(__file__).parent / "fixtures" / "gotosocial"
REPLY_NOTE = fixture("create_note_reply_mention")["object"]["id"]
REPLY_TEXT = "Is the bench new?"


def gts(name: str) -> dict[str, Any]:
    """A GoToSocial-shaped request (fixtures/gotosocial/)."""
    data: dict[str, Any] = json.loads((GTS_FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


async def ana_asks(scene: Scene, **presets: str) -> None:
    """Ana's post gets rules: for each interaction, a preset's name."""
    policy = Policy.from_presets({Interaction(k): v for k, v in presets.items()})
    async with scene.session() as session:
        await policy_reads.store(session, scene.ana_post_id, policy)
        await session.commit()


async def deliver(scene: Scene, activity: str | dict[str, Any], status: int = 202) -> None:
    response = await scene.deliver(activity)
    assert response.status_code == status, response.text


def sent(scene: Scene, kind: str) -> list[dict[str, Any]]:
    """What Porch delivered to Zoe's server, of one type."""
    return [body for _, body in scene.mastodon.received if body.get("type") == kind]


async def requests(scene: Scene) -> list[InteractionRequest]:
    return await scene.rows(InteractionRequest)


async def decide(scene: Scene, request_id: int | None, action: str) -> None:
    token = await scene.ana.token("/approvals")
    response = await scene.ana.client.post(
        f"/approvals/{request_id}/{action}", data={"csrf_token": token}
    )
    assert response.status_code == 303, response.text


async def authorization(scene: Scene, url: str) -> tuple[int, dict[str, Any]]:
    response = await scene.visitor().get(url, headers={"Accept": AS2})
    return response.status_code, response.json()


# Replies that wait


async def test_a_reply_ana_must_approve_waits_unseen_and_ana_is_told(scene: Scene) -> None:
    await ana_asks(scene, reply="anyone-asks")
    await deliver(scene, "create_note_reply_mention")

    reply = await scene.post_by_uri(REPLY_NOTE)
    assert reply is not None and reply.state == PostState.pending
    [request] = await requests(scene)
    assert (request.kind, request.state) == (Interaction.reply, RequestState.pending)
    assert request.interacting_post_id == reply.id and request.object_uri == REPLY_NOTE
    ana = await scene.actor("ana")
    told = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [n.kind for n in told] == [NotificationKind.pending_reply]
    # Nobody else sees it: not a visitor, not Cleo, not the thread's API.
    cleo = await scene.member("cleo")
    for client in (scene.visitor(), cleo.client):
        page = await client.get(f"/@ana/{scene.ana_post_id}")
        assert REPLY_TEXT not in page.text
        context = await client.get(f"/api/v1/statuses/{scene.ana_post_id}/context")
        assert context.json()["descendants"] == []
    # Ana sees it in her waiting list, with its words.
    waiting = await scene.ana.client.get("/approvals")
    assert REPLY_TEXT in waiting.text and "wants to reply to your post" in waiting.text


async def test_when_ana_approves_the_reply_everyone_sees_it_and_zoe_gets_the_accept(
    scene: Scene,
) -> None:
    await ana_asks(scene, reply="anyone-asks")
    await deliver(scene, "create_note_reply_mention")
    [request] = await requests(scene)

    await decide(scene, request.id, "approve")
    await scene.drain()

    reply = await scene.post_by_uri(REPLY_NOTE)
    assert reply is not None and reply.state == PostState.published
    page = await scene.visitor().get(f"/@ana/{scene.ana_post_id}")
    assert REPLY_TEXT in page.text
    [accept] = sent(scene, "Accept")
    assert accept["object"] == REPLY_NOTE
    assert accept["target"] == scene.ana_post_uri
    assert accept["to"] == [ZOE]
    assert accept["actor"] == "https://porch.test/users/ana"
    status, doc = await authorization(scene, accept["result"])
    assert status == 200
    assert doc["type"] == "ReplyAuthorization"
    assert doc["id"] == accept["result"]
    assert doc["attributedTo"] == "https://porch.test/users/ana"
    assert doc["interactingObject"] == REPLY_NOTE
    assert doc["interactionTarget"] == scene.ana_post_uri
    assert "https://gotosocial.org/ns" in doc["@context"]


async def test_when_ana_declines_the_reply_it_is_gone_and_zoe_gets_the_reject(
    scene: Scene,
) -> None:
    await ana_asks(scene, reply="anyone-asks")
    await deliver(scene, "create_note_reply_mention")
    [request] = await requests(scene)

    await decide(scene, request.id, "decline")
    await scene.drain()

    assert await scene.post_by_uri(REPLY_NOTE) is None
    [declined] = await requests(scene)
    assert declined.state == RequestState.rejected and declined.decided_at is not None
    [reject] = sent(scene, "Reject")
    assert (reject["object"], reject["target"]) == (REPLY_NOTE, scene.ana_post_uri)
    assert "result" not in reject
    page = await scene.visitor().get(f"/@ana/{scene.ana_post_id}")
    assert REPLY_TEXT not in page.text
    # The decision stands: the same reply sent again is not taken up again.
    await deliver(scene, "create_note_reply_mention")
    assert await scene.post_by_uri(REPLY_NOTE) is None
    # And nothing authorizes it.
    url = f"https://porch.test/users/ana/authorizations/{declined.activity_id}"
    assert (await authorization(scene, url))[0] == 404


async def test_a_reply_the_rules_refuse_is_not_kept_and_zoe_gets_a_reject(scene: Scene) -> None:
    await ana_asks(scene, reply="mutuals")
    await deliver(scene, "create_note_reply_mention")
    await scene.drain()

    assert await scene.post_by_uri(REPLY_NOTE) is None
    assert await requests(scene) == []
    [reject] = sent(scene, "Reject")
    assert reject["object"] == REPLY_NOTE


async def test_a_reply_anyone_may_send_goes_ahead_with_no_answer(scene: Scene) -> None:
    await deliver(scene, "create_note_reply_mention")
    await scene.drain()

    reply = await scene.post_by_uri(REPLY_NOTE)
    assert reply is not None and reply.state == PostState.published
    assert sent(scene, "Accept") == [] and await requests(scene) == []


# Likes and boosts


async def test_a_like_ana_must_approve_waits_then_counts_once_approved(scene: Scene) -> None:
    await ana_asks(scene, like="anyone-asks")
    await deliver(scene, "like")

    assert await scene.rows(Like) == []
    [request] = await requests(scene)
    assert request.kind == Interaction.like and request.object_uri == fixture("like")["id"]

    await decide(scene, request.id, "approve")
    await scene.drain()

    [like] = await scene.rows(Like)
    assert like.uri == fixture("like")["id"]
    [accept] = sent(scene, "Accept")
    assert accept["object"] == fixture("like")["id"]
    status, doc = await authorization(scene, accept["result"])
    assert (status, doc["type"]) == (200, "LikeAuthorization")
    # The same Like delivered again changes nothing and asks nothing again.
    await deliver(scene, "like")
    assert len(await scene.rows(Like)) == 1 and len(await requests(scene)) == 1


async def test_a_boost_ana_declines_never_counts(scene: Scene) -> None:
    await ana_asks(scene, boost="anyone-asks")
    await deliver(scene, "announce")
    [request] = await requests(scene)

    await decide(scene, request.id, "decline")
    await scene.drain()

    assert await scene.rows(Post, col(Post.reblog_of_id) == scene.ana_post_id) == []
    [reject] = sent(scene, "Reject")
    assert reject["object"] == fixture("announce")["id"]


async def test_a_like_the_rules_refuse_is_answered_with_a_reject(scene: Scene) -> None:
    await ana_asks(scene, like="nobody")
    await deliver(scene, "like")
    await scene.drain()

    assert await scene.rows(Like) == []
    [reject] = sent(scene, "Reject")
    assert (reject["object"], reject["target"]) == (fixture("like")["id"], scene.ana_post_uri)


async def test_a_like_allowed_to_followers_is_accepted_at_once_for_others_to_check(
    scene: Scene,
) -> None:
    await deliver(scene, "follow")
    await ana_asks(scene, like="followers")
    await deliver(scene, "like")
    await scene.drain()

    assert len(await scene.rows(Like)) == 1
    [accept] = [a for a in sent(scene, "Accept") if a["object"] == fixture("like")["id"]]
    status, doc = await authorization(scene, accept["result"])
    assert (status, doc["interactingObject"]) == (200, fixture("like")["id"])


async def test_a_like_taken_back_while_it_waits_leaves_ana_list(scene: Scene) -> None:
    await ana_asks(scene, like="anyone-asks")
    await deliver(scene, "like")
    assert len(await requests(scene)) == 1

    await deliver(scene, "undo_like")

    assert await requests(scene) == []
    assert "wants to like" not in (await scene.ana.client.get("/approvals")).text


async def test_a_reply_passed_on_by_another_server_waits_like_any_other(scene: Scene) -> None:
    """Yan on other.test answers Ana; Zoe's server passes the Create on. Porch reads the
    reply from Yan's server and holds it for Ana as if Yan had sent it."""
    await ana_asks(scene, reply="anyone-asks")
    yan = scene.mastodon.add_person("yan", KeyPair.generate(), host=OTHER)
    create = fixture("create_note_reply_mention")
    note = {
        **create["object"],
        "id": yan + "/statuses/1",
        "attributedTo": yan,
        "url": "https://other.test/@yan/1",
    }
    scene.mastodon.publish(scene.substitute(note))
    passed_on = {**create, "id": yan + "/statuses/1/activity", "actor": yan, "object": note["id"]}

    await deliver(scene, passed_on)

    held = await scene.post_by_uri(note["id"])
    assert held is not None and held.state == PostState.pending
    [request] = await requests(scene)
    assert request.interacting_post_id == held.id


async def test_a_like_from_someone_ana_blocked_never_reaches_her_list(scene: Scene) -> None:
    await ana_asks(scene, like="anyone-asks")
    await deliver(scene, "follow")  # Porch learns of Zoe
    zoe = await scene.actor(ZOE)
    async with scene.session() as session:
        ana = await scene.actor("ana")
        await blocks.block(session, ana, zoe, scene.clock.now())

    await deliver(scene, "like")

    assert await requests(scene) == [] and await scene.rows(Like) == []
