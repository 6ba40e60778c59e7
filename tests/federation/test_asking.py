"""Ana here replies to and likes Zoe's post elsewhere, whose rules ask for Zoe's
approval: Porch asks Zoe's server politely and acts only on an answer that holds."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col

from federation.signatures import KeyPair
from server.models import Like, Notification, NotificationKind, Post, PostState
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import policy_reads
from server.services.interaction_policies import Policy
from tests.federation.mastodon_double import (
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)

ZOE_POST = fixture("create_note_public")["object"]["id"]
WORDS = "Lovely. Which pattern is it?"
AUTHORIZATION = "https://mastodon.test/users/zoe/authorizations/01J5QVXCCEATJYSXM9H6MZT4JR"


async def zoe_post_asking(scene: Scene, **rules: str) -> int:
    """Zoe's post reaches Ana (she follows Zoe), and its rules are known here."""
    await scene.ana_follows_zoe()
    response = await scene.deliver("create_note_public")
    assert response.status_code == 202, response.text
    post = await scene.post_by_uri(ZOE_POST)
    assert post is not None
    policy = Policy.from_presets({Interaction(k): v for k, v in rules.items()})
    async with scene.session() as session:
        await policy_reads.store(session, post.id, policy)
        await session.commit()
    return post.id


def requests_sent(scene: Scene, kind: str) -> list[dict[str, Any]]:
    return [b for _, b in scene.mastodon.received if b.get("type") == kind]


async def ana_replies(scene: Scene, post_id: int) -> tuple[int, dict[str, Any]]:
    """Ana replies; after her pause the ReplyRequest goes to Zoe's server."""
    reply_id = await scene.ana.post(WORDS, reply_to=post_id)
    await scene.drain(60)
    [request] = requests_sent(scene, "ReplyRequest")
    return reply_id, request


def authorization_of(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What Zoe's server serves for its approval of `request` (changed as asked)."""
    instrument = request["instrument"]
    interacting = instrument["id"] if isinstance(instrument, dict) else instrument
    kind = {"ReplyRequest": "ReplyAuthorization", "LikeRequest": "LikeAuthorization"}
    doc = {
        "@context": ["https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"],
        "type": kind[request["type"]],
        "id": AUTHORIZATION,
        "attributedTo": ZOE,
        "interactingObject": interacting,
        "interactionTarget": request["object"],
    }
    return {**doc, **changes}


def accept_of(request: dict[str, Any], n: int = 1, **changes: Any) -> dict[str, Any]:
    """Zoe's server's Accept of `request`, as GoToSocial writes it."""
    instrument = request["instrument"]
    accept = {
        "@context": ["https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"],
        "type": "Accept",
        "id": f"https://mastodon.test/users/zoe/accepts/01J5QVXCCEATJYSXM9H6MZT4J{n}",
        "actor": ZOE,
        "to": request["actor"],
        "object": {
            "type": request["type"],
            "id": request["id"],
            "actor": request["actor"],
            "object": request["object"],
            "instrument": instrument["id"] if isinstance(instrument, dict) else instrument,
        },
        "result": AUTHORIZATION,
    }
    return {**accept, **changes}


async def test_ana_reply_waits_after_its_pause_and_zoe_server_is_asked_alone(
    scene: Scene,
) -> None:
    post_id = await zoe_post_asking(scene, reply="anyone-asks")
    reply_id, request = await ana_replies(scene, post_id)

    [reply] = await scene.rows(Post, col(Post.id) == reply_id)
    assert reply.state == PostState.pending
    assert request["object"] == ZOE_POST and request["actor"] == "https://porch.test/users/ana"
    assert request["instrument"]["type"] == "Note"
    assert request["instrument"]["inReplyTo"] == ZOE_POST
    assert request["id"].startswith("https://porch.test/activities/request/")
    # Asked of Zoe's server alone: no Create went anywhere.
    assert requests_sent(scene, "Create") == []
    cleo = await scene.member("cleo")
    assert WORDS not in (await cleo.client.get(f"/@zoe@mastodon.test/{post_id}")).text


async def test_when_zoe_server_accepts_the_reply_is_published_with_its_authorization(
    scene: Scene,
) -> None:
    post_id = await zoe_post_asking(scene, reply="anyone-asks")
    reply_id, request = await ana_replies(scene, post_id)
    scene.mastodon.publish(authorization_of(request))

    response = await scene.deliver(accept_of(request))
    assert response.status_code == 202, response.text
    await scene.drain()

    [reply] = await scene.rows(Post, col(Post.id) == reply_id)
    assert reply.state == PostState.published
    [create] = requests_sent(scene, "Create")
    assert create["object"]["id"] == request["instrument"]["id"]
    assert create["object"]["replyAuthorization"] == AUTHORIZATION
    [row] = await scene.rows(InteractionRequest)
    assert (row.state, row.authorization_uri) == (RequestState.accepted, AUTHORIZATION)
    ana = await scene.actor("ana")
    told = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert NotificationKind.approval_outcome in [n.kind for n in told]


async def test_when_zoe_server_rejects_the_reply_is_withdrawn_for_good(scene: Scene) -> None:
    post_id = await zoe_post_asking(scene, reply="anyone-asks")
    reply_id, request = await ana_replies(scene, post_id)
    reject = accept_of(request, type="Reject")
    reject.pop("result")

    response = await scene.deliver(reject)
    assert response.status_code == 202, response.text
    await scene.drain()

    assert await scene.rows(Post, col(Post.id) == reply_id) == []
    assert requests_sent(scene, "Create") == []
    [row] = await scene.rows(InteractionRequest)
    assert row.state == RequestState.rejected


async def test_ana_like_is_asked_for_and_counts_once_accepted(scene: Scene) -> None:
    post_id = await zoe_post_asking(scene, like="followers-others-ask")
    token = await scene.ana.token(f"/@zoe@mastodon.test/{post_id}")
    await scene.ana.client.post(f"/posts/{post_id}/like", data={"csrf_token": token})
    await scene.drain()
    [request] = requests_sent(scene, "LikeRequest")
    assert request["instrument"]["type"] == "Like" and request["instrument"]["object"] == ZOE_POST
    assert requests_sent(scene, "Like") == [] and await scene.rows(Like) == []
    scene.mastodon.publish(authorization_of(request))

    response = await scene.deliver(accept_of(request))
    assert response.status_code == 202, response.text

    [like] = await scene.rows(Like)
    assert like.post_id == post_id
    await scene.drain()
    assert requests_sent(scene, "Like") == []  # Zoe's server kept the like it approved


FORGERIES = {
    "from someone else": "yan",
    "naming a request never sent": "unknown",
    "with its authorization on another host": "elsewhere",
    "with no authorization": "no result",
    "with an authorization for another reply": "other object",
    "with an authorization by someone else": "other author",
    "with an authorization of another kind": "other type",
    "with an authorization about another post": "other target",
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=list(FORGERIES))
async def test_a_forged_accept_is_refused_and_changes_nothing(scene: Scene, forgery: str) -> None:
    post_id = await zoe_post_asking(scene, reply="anyone-asks")
    reply_id, request = await ana_replies(scene, post_id)
    accept = accept_of(request)
    doc = authorization_of(request)
    key, key_id = None, ZOE + "#main-key"
    if forgery == "yan":
        yan_key = KeyPair.generate()
        yan = scene.mastodon.add_person("yan", yan_key)
        accept["actor"], accept["id"] = yan, yan + "/accepts/1"
        key, key_id = yan_key, yan + "#main-key"
    elif forgery == "unknown":
        accept["object"]["id"] = "https://porch.test/activities/request/nosuchrequest"
    elif forgery == "elsewhere":
        accept["result"] = "https://other.test/users/zoe/authorizations/1"
        doc["id"] = accept["result"]
    elif forgery == "no result":
        accept.pop("result")
    elif forgery == "other object":
        doc["interactingObject"] = "https://porch.test/users/ana/statuses/1"
    elif forgery == "other author":
        doc["attributedTo"] = "https://mastodon.test/users/yan"
    elif forgery == "other type":
        doc["type"] = "LikeAuthorization"
    elif forgery == "other target":
        doc["interactionTarget"] = "https://mastodon.test/users/zoe/statuses/1"
    scene.mastodon.publish(doc)

    response = await scene.deliver(accept, key=key, key_id=key_id)

    assert response.status_code == 400, response.text
    [reply] = await scene.rows(Post, col(Post.id) == reply_id)
    assert reply.state == PostState.pending
    [row] = await scene.rows(InteractionRequest)
    assert row.state == RequestState.pending and row.authorization_uri is None


async def test_a_replayed_answer_is_refused(scene: Scene) -> None:
    post_id = await zoe_post_asking(scene, reply="anyone-asks")
    reply_id, request = await ana_replies(scene, post_id)
    scene.mastodon.publish(authorization_of(request))
    assert (await scene.deliver(accept_of(request))).status_code == 202

    reject = accept_of(request, 2, type="Reject")
    reject.pop("result")
    again = await scene.deliver(reject)

    assert again.status_code == 400
    assert "answered already" in again.json()["error"]
    [reply] = await scene.rows(Post, col(Post.id) == reply_id)
    assert reply.state == PostState.published


async def test_a_like_of_a_post_whose_rules_refuse_it_is_never_sent(scene: Scene) -> None:
    post_id = await zoe_post_asking(scene, like="nobody")
    token = await scene.ana.token(f"/@zoe@mastodon.test/{post_id}")
    response = await scene.ana.client.post(f"/posts/{post_id}/like", data={"csrf_token": token})
    await scene.drain()

    assert response.status_code == 403
    assert requests_sent(scene, "Like") == requests_sent(scene, "LikeRequest") == []
