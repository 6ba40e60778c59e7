"""Zoe on Mastodon asks to quote Ana's post on porch.test (FEP-044f as Mastodon 4.5 does it)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from server.models import Notification, NotificationKind
from server.models.interaction_policies import (
    Interaction,
    InteractionRequest,
    Quote,
    QuoteState,
    RequestState,
)
from server.services import approvals, policy_reads
from server.services.interaction_policies import Policy
from tests.federation.mastodon_double import Scene, scene_fixture  # noqa: F401

ZOE_QUOTE = "https://mastodon.test/users/zoe/statuses/113800000000000050"


async def _zoe_follows_ana(scene: Scene) -> None:
    assert (await scene.deliver("follow")).status_code == 202


def _answers(scene: Scene, kind: str) -> list[dict[str, Any]]:
    """What Porch sent Zoe's server about quotes: answers to QuoteRequests, revocations."""
    return [
        body
        for _, body in scene.mastodon.received
        if body["type"] == kind
        and (kind == "Delete" or (body.get("object") or {}).get("type") == "QuoteRequest")
    ]


async def test_a_follower_s_quote_request_is_approved_with_an_authorization(scene: Scene) -> None:
    await _zoe_follows_ana(scene)
    response = await scene.deliver("quote_request")
    assert response.status_code == 202, response.text
    await scene.drain()

    [accept] = _answers(scene, "Accept")
    assert accept["object"]["type"] == "QuoteRequest"
    assert accept["object"]["id"] == scene.load("quote_request")["id"]
    assert accept["object"]["instrument"] == ZOE_QUOTE
    assert accept["result"].startswith("https://porch.test/users/ana/authorizations/")
    stamp = await scene.visitor().get(
        accept["result"], headers={"Accept": "application/activity+json"}
    )
    assert stamp.status_code == 200
    assert stamp.json()["type"] == "QuoteAuthorization"
    assert stamp.json()["attributedTo"] == "https://porch.test/users/ana"
    assert stamp.json()["interactingObject"] == ZOE_QUOTE
    assert stamp.json()["interactionTarget"] == scene.ana_post_uri

    quoting = await scene.post_by_uri(ZOE_QUOTE)
    assert quoting is not None
    [quote] = await scene.rows(Quote, col(Quote.post_id) == quoting.id)
    assert quote.state == QuoteState.accepted and quote.quoted_post_id == scene.ana_post_id
    told = await scene.rows(Notification, col(Notification.kind) == NotificationKind.quote)
    assert [n.post_id for n in told] == [quoting.id]


async def test_a_stranger_s_quote_request_waits_for_ana(scene: Scene) -> None:
    assert (await scene.deliver("quote_request")).status_code == 202
    await scene.drain()
    assert _answers(scene, "Accept") == [] and _answers(scene, "Reject") == []
    [waiting] = await scene.rows(InteractionRequest)
    assert waiting.state == RequestState.pending and waiting.kind == Interaction.quote
    asked = await scene.rows(Notification, col(Notification.kind) == NotificationKind.pending_quote)
    assert len(asked) == 1

    ana = await scene.actor("ana")
    async with scene.session() as session:
        urls = scene.app.state.urls
        await approvals.approve(session, waiting.id or 0, ana, scene.clock.now(), urls)
    await scene.drain()
    [accept] = _answers(scene, "Accept")
    assert accept["result"].endswith(waiting.activity_id)


async def test_a_quote_request_ana_s_policy_refuses_is_rejected(scene: Scene) -> None:
    async with scene.session() as session:
        nobody = Policy.from_presets(
            {i: "anyone" for i in Interaction} | {Interaction.quote: "nobody"}
        )
        await policy_reads.store(session, scene.ana_post_id, nobody)
        await session.commit()
    assert (await scene.deliver("quote_request")).status_code == 202
    await scene.drain()
    [reject] = _answers(scene, "Reject")
    assert reject["object"]["type"] == "QuoteRequest" and "result" not in reject
    assert await scene.rows(InteractionRequest) == []


async def test_a_quote_request_for_a_followers_only_post_is_refused_whole(scene: Scene) -> None:
    await _zoe_follows_ana(scene)
    hidden = await scene.ana.post("Only for my followers", visibility="followers")
    await scene.drain(31)
    before = await scene.counts()

    def for_hidden(data: dict[str, Any]) -> None:
        uri = f"https://porch.test/users/ana/statuses/{hidden}"
        data["object"] = uri
        data["instrument"]["quote"] = data["instrument"]["_misskey_quote"] = uri

    response = await scene.deliver("quote_request", mutate=for_hidden)
    assert response.status_code == 400
    assert "public and unlisted" in response.json()["error"]
    assert await scene.counts() == before
    assert await scene.rows(InteractionRequest) == []
    assert await scene.rows(Quote) == []


async def test_a_quote_request_whose_post_quotes_something_else_is_refused(scene: Scene) -> None:
    def elsewhere(data: dict[str, Any]) -> None:
        data["instrument"]["quote"] = "https://mastodon.test/users/zoe/statuses/1"

    response = await scene.deliver("quote_request", mutate=elsewhere)
    assert response.status_code == 400
    assert await scene.post_by_uri(ZOE_QUOTE) is None


async def test_an_authorization_never_given_is_not_served(scene: Scene) -> None:
    missing = await scene.visitor().get(
        "/users/ana/authorizations/nosuchtoken", headers={"Accept": "application/activity+json"}
    )
    assert missing.status_code == 404


async def test_ana_revokes_and_zoe_s_server_hears_the_delete(scene: Scene) -> None:
    await _zoe_follows_ana(scene)
    await scene.deliver("quote_request")
    await scene.drain()
    [accept] = _answers(scene, "Accept")
    quoting = await scene.post_by_uri(ZOE_QUOTE)
    assert quoting is not None
    token = await scene.ana.token(f"/posts/{scene.ana_post_id}/quotes")
    page = await scene.ana.client.get(f"/posts/{scene.ana_post_id}/quotes")
    assert "This is exactly how I cast on too." in page.text
    done = await scene.ana.client.post(
        f"/posts/{scene.ana_post_id}/quotes/{quoting.id}/revoke", data={"csrf_token": token}
    )
    assert done.status_code == 303
    await scene.drain()
    [delete] = _answers(scene, "Delete")
    assert delete["object"] == accept["result"]
    assert delete["id"] == accept["result"] + "#delete"
    gone = await scene.visitor().get(
        accept["result"], headers={"Accept": "application/activity+json"}
    )
    assert gone.status_code == 410
    [quote] = await scene.rows(Quote, col(Quote.post_id) == quoting.id)
    assert quote.state == QuoteState.revoked

    # Revoking again, or a quote never approved, changes nothing and says so.
    again = await scene.ana.client.post(
        f"/posts/{scene.ana_post_id}/quotes/{quoting.id}/revoke", data={"csrf_token": token}
    )
    assert again.status_code == 404
    assert len(_answers(scene, "Delete")) == 1


async def test_a_post_of_ana_s_stays_out_of_a_quote_she_cannot_be_asked_about(
    scene: Scene,
) -> None:
    """A Note quoting Ana's post with no authorization is kept (it concerns Ana, though
    nobody here follows Zoe) but pending: Ana's post is not shown in it."""
    data = scene.load("quote_request")["instrument"]
    data["id"] = "https://mastodon.test/users/zoe/statuses/113800000000000099"
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": data["id"] + "/activity",
        "type": "Create",
        "actor": data["attributedTo"],
        "to": data["to"],
        "cc": data["cc"],
        "object": data,
    }
    assert (await scene.deliver(create)).status_code == 202
    quoting = await scene.post_by_uri(data["id"])
    assert quoting is not None
    [quote] = await scene.rows(Quote, col(Quote.post_id) == quoting.id)
    assert quote.state == QuoteState.pending
    page = await scene.visitor().get(f"/@zoe@mastodon.test/{quoting.id}")
    assert "This is exactly how I cast on too." in page.text
    assert "Casting on a new jumper tonight." not in page.text
    assert "Quote pending" in page.text
