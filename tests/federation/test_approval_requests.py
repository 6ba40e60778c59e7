"""Zoe's server asks politely, as GoToSocial does: LikeRequest, ReplyRequest and
AnnounceRequest with the interaction in `instrument`, checked as GoToSocial checks them,
and answered with the request echoed; the authorizations they earn are served while
they stand."""

from __future__ import annotations

from sqlmodel import col

from server.models import Like, Post, PostState
from tests.federation.mastodon_double import (
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)
from tests.federation.test_approvals import (
    ana_asks,
    authorization,
    decide,
    deliver,
    gts,
    requests,
    sent,
)


async def test_a_like_request_anyone_may_make_is_accepted_with_its_authorization(
    scene: Scene,
) -> None:
    await deliver(scene, gts("like_request"))
    await scene.drain()

    [like] = await scene.rows(Like)
    inner = gts("like_request")["instrument"]["id"]
    assert like.uri == inner
    [accept] = sent(scene, "Accept")
    assert accept["object"] == {
        "type": "LikeRequest",
        "id": gts("like_request")["id"],
        "actor": ZOE,
        "object": scene.ana_post_uri,
        "instrument": inner,
    }
    assert "target" not in accept and accept["to"] == [ZOE]
    status, doc = await authorization(scene, accept["result"])
    assert (status, doc["type"], doc["interactingObject"]) == (200, "LikeAuthorization", inner)


async def test_a_reply_request_waits_for_ana_then_the_accept_names_the_request(
    scene: Scene,
) -> None:
    await ana_asks(scene, reply="anyone-asks")
    await deliver(scene, gts("reply_request"))
    note_id = gts("reply_request")["instrument"]["id"]

    held = await scene.post_by_uri(note_id)
    assert held is not None and held.state == PostState.pending
    [request] = await requests(scene)
    assert request.request_uri == gts("reply_request")["id"]

    await decide(scene, request.id, "approve")
    await scene.drain()

    published = await scene.post_by_uri(note_id)
    assert published is not None and published.state == PostState.published
    [accept] = sent(scene, "Accept")
    assert accept["object"]["type"] == "ReplyRequest"
    assert accept["object"]["id"] == gts("reply_request")["id"]
    assert accept["object"]["instrument"] == note_id
    # Zoe's server now sends the reply to everyone, Ana's server included: it stays one.
    create = fixture("create_note_reply_mention")
    create["id"] = note_id + "/activity"
    create["object"] = {
        **gts("reply_request")["instrument"],
        "replyAuthorization": accept["result"],
    }
    await deliver(scene, create)
    assert len(await scene.rows(Post, col(Post.uri) == note_id)) == 1


async def test_an_announce_request_ana_declines_gets_a_polite_reject(scene: Scene) -> None:
    await ana_asks(scene, boost="anyone-asks")
    await deliver(scene, gts("announce_request"))
    [request] = await requests(scene)

    await decide(scene, request.id, "decline")
    await scene.drain()

    [reject] = sent(scene, "Reject")
    assert reject["object"]["type"] == "AnnounceRequest"
    assert reject["object"]["id"] == gts("announce_request")["id"]
    assert "result" not in reject
    assert await scene.rows(Post, col(Post.reblog_of_id) == scene.ana_post_id) == []


async def test_bad_requests_are_refused_and_nothing_is_kept(scene: Scene) -> None:
    """GoToSocial's checks: the object is a member's post, the interaction is embedded,
    not approved already, and the requester's own."""
    before = await scene.counts()
    bare = gts("like_request")
    bare["id"] += "-bare"
    bare["instrument"] = bare["instrument"]["id"]
    approved = gts("like_request")
    approved["id"] += "-approved"
    approved["instrument"]["approvedBy"] = "https://porch.test/users/ana/accepts/1"
    someone_else = gts("like_request")
    someone_else["id"] += "-else"
    someone_else["instrument"]["attributedTo"] = "https://other.test/users/yan"
    elsewhere = gts("like_request")
    elsewhere["id"] += "-elsewhere"
    elsewhere["object"] = "https://porch.test/users/ana/statuses/1234"
    wrong_reply = gts("reply_request")
    wrong_reply["id"] += "-wrong"
    wrong_reply["instrument"]["inReplyTo"] = "https://other.test/users/yan/statuses/1"
    for bad in (bare, approved, someone_else, elsewhere, wrong_reply):
        response = await scene.deliver(bad)
        assert response.status_code == 400, (bad["id"], response.text)
    after = await scene.counts()
    assert {k: v for k, v in after.items() if k != "received_activities"} == {
        k: v for k, v in before.items() if k != "received_activities"
    }
    assert await requests(scene) == []


async def test_an_authorization_is_served_only_while_the_approval_stands(scene: Scene) -> None:
    await ana_asks(scene, like="anyone-asks")
    await deliver(scene, "like")
    [request] = await requests(scene)
    url = f"https://porch.test/users/ana/authorizations/{request.activity_id}"
    assert (await authorization(scene, url))[0] == 404  # waiting: nothing approved yet
    assert (await authorization(scene, url.replace("/ana/", "/cleo/")))[0] == 404

    await decide(scene, request.id, "approve")
    assert (await authorization(scene, url))[0] == 200
    unknown = "https://porch.test/users/ana/authorizations/nosuchthing"
    assert (await authorization(scene, unknown))[0] == 404
