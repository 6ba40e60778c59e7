"""Ana on porch.test quotes Zoe's post on Mastodon, and reads Zoe's quotes of others':
approvals are trusted only as the quoted author's server serves them."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from federation.signatures import KeyPair
from server.models import OutboxItem, OutboxKind
from server.models.interaction_policies import Interaction, Quote, QuoteState
from server.services import policy_reads
from server.services.interaction_policies import Policy
from tests.federation.mastodon_double import OTHER, Scene, scene_fixture  # noqa: F401

ZOE_POST = "https://mastodon.test/users/zoe/statuses/113800000000000001"
STAMP = "https://mastodon.test/users/zoe/quote_authorizations/9001"
KIM_POST = "https://other.test/users/kim/statuses/4242"
KIM_STAMP = "https://other.test/users/kim/quote_authorizations/77"
ZOE_QUOTE = "https://mastodon.test/users/zoe/statuses/113800000000000060"


async def _ana_quotes_zoe(scene: Scene) -> tuple[int, dict[str, Any]]:
    """Ana follows Zoe, gets her post, quotes it; returns the quote's id and the request."""
    await scene.ana_follows_zoe()
    assert (await scene.deliver("create_note_public")).status_code == 202
    zoe_post = await scene.post_by_uri(ZOE_POST)
    assert zoe_post is not None
    async with scene.session() as session:  # Zoe's Note says: anyone may quote
        anyone = Policy.from_presets({i: "anyone" for i in Interaction})
        await policy_reads.store(session, zoe_post.id, anyone)
        await session.commit()
    page = f"/compose?quote={zoe_post.id}"
    compose = await scene.ana.client.get(page)
    assert "will see that you quoted them" in compose.text
    token = await scene.ana.token(page)
    response = await scene.ana.client.post(
        "/posts",
        data={"text": "Look at this jumper", "quote_of_id": str(zoe_post.id), "csrf_token": token},
    )
    assert response.status_code == 303, response.text[:2000]
    quote_id = int(response.headers["location"].rsplit("/", 1)[1])
    await scene.drain(120)
    [request] = [b for _, b in scene.mastodon.received if b["type"] == "QuoteRequest"]
    return quote_id, request


def _accept(scene: Scene, request: dict[str, Any], quote_id: int) -> dict[str, Any]:
    accept = scene.load("accept_quote_request")
    accept["object"]["id"] = request["id"]
    accept["object"]["instrument"] = f"https://porch.test/users/ana/statuses/{quote_id}"
    return accept


def _stamp(scene: Scene, quote_id: int, **changes: str) -> None:
    stamp = scene.load("quote_authorization")
    stamp["interactingObject"] = f"https://porch.test/users/ana/statuses/{quote_id}"
    stamp.update(changes)
    scene.mastodon.publish(stamp)


async def _state(scene: Scene, post_id: int) -> Quote:
    [quote] = await scene.rows(Quote, col(Quote.post_id) == post_id)
    return quote


async def test_the_quote_request_goes_to_zoe_with_the_quoting_note(scene: Scene) -> None:
    quote_id, request = await _ana_quotes_zoe(scene)
    assert request["actor"] == "https://porch.test/users/ana"
    assert request["object"] == ZOE_POST
    assert request["id"].startswith("https://porch.test/activities/quote_request/")
    note = request["instrument"]
    assert note["id"] == f"https://porch.test/users/ana/statuses/{quote_id}"
    assert note["quote"] == note["_misskey_quote"] == note["quoteUri"] == ZOE_POST
    assert note["content"].startswith('<p class="quote-inline">RE: <a href=')
    assert "quoteAuthorization" not in note
    assert (await _state(scene, quote_id)).state == QuoteState.pending


async def test_zoe_s_accept_is_checked_against_her_authorization(scene: Scene) -> None:
    quote_id, request = await _ana_quotes_zoe(scene)
    _stamp(scene, quote_id)
    response = await scene.deliver(_accept(scene, request, quote_id))
    assert response.status_code == 202, response.text
    quote = await _state(scene, quote_id)
    assert quote.state == QuoteState.accepted and quote.authorization_uri == STAMP
    updates = await scene.rows(OutboxItem, col(OutboxItem.kind) == OutboxKind.quote_approved)
    assert [u.post_id for u in updates] == [quote_id]
    note = await scene.visitor().get(
        f"/users/ana/statuses/{quote_id}", headers={"Accept": "application/activity+json"}
    )
    assert note.json()["quoteAuthorization"] == STAMP


async def test_a_forged_authorization_leaves_the_quote_pending(scene: Scene) -> None:
    quote_id, request = await _ana_quotes_zoe(scene)
    forgeries = [
        {"attributedTo": "https://mastodon.test/users/someone_else"},
        {"interactingObject": "https://porch.test/users/ana/statuses/1"},
        {"interactionTarget": "https://mastodon.test/users/zoe/statuses/1"},
        {"type": "Note"},
    ]
    for n, changes in enumerate(forgeries):
        _stamp(scene, quote_id, **changes)
        accept = _accept(scene, request, quote_id)
        accept["id"] += f"-{n}"  # each a new activity, not a redelivery
        response = await scene.deliver(accept)
        assert response.status_code == 400, changes
        assert (await _state(scene, quote_id)).state == QuoteState.pending
    # An authorization on another server than Zoe's is not hers to give.
    elsewhere = _accept(scene, request, quote_id)
    elsewhere["id"] += "-elsewhere"
    elsewhere["result"] = KIM_STAMP
    assert (await scene.deliver(elsewhere)).status_code == 400
    assert (await _state(scene, quote_id)).state == QuoteState.pending


async def test_zoe_s_reject_marks_the_quote_not_allowed(scene: Scene) -> None:
    quote_id, request = await _ana_quotes_zoe(scene)
    reject = scene.load("reject_quote_request")
    reject["object"]["id"] = request["id"]
    assert (await scene.deliver(reject)).status_code == 202
    assert (await _state(scene, quote_id)).state == QuoteState.rejected
    page = await scene.ana.client.get(f"/@ana/{quote_id}")
    assert "didn’t allow this quote" in page.text


async def test_zoe_revokes_and_the_quote_is_removed(scene: Scene) -> None:
    quote_id, request = await _ana_quotes_zoe(scene)
    _stamp(scene, quote_id)
    await scene.deliver(_accept(scene, request, quote_id))
    assert (await scene.deliver("delete_quote_authorization")).status_code == 202
    assert (await _state(scene, quote_id)).state == QuoteState.revoked
    page = await scene.ana.client.get(f"/@ana/{quote_id}")
    assert "Removed by its author" in page.text


async def _kim_and_her_post(scene: Scene) -> None:
    kim = scene.mastodon.add_person("kim", KeyPair.generate(), host=OTHER)
    scene.mastodon.publish(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": KIM_POST,
            "type": "Note",
            "attributedTo": kim,
            "content": "<p>Measure twice, knit once.</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [],
            "published": "2025-01-14T10:00:00Z",
        }
    )


def _kim_stamp(scene: Scene, **changes: str) -> None:
    stamp = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": KIM_STAMP,
        "type": "QuoteAuthorization",
        "attributedTo": "https://other.test/users/kim",
        "interactingObject": ZOE_QUOTE,
        "interactionTarget": KIM_POST,
    }
    scene.mastodon.publish({**stamp, **changes})


async def test_zoe_s_quote_of_kim_shows_once_kim_s_server_vouches(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    await _kim_and_her_post(scene)
    _kim_stamp(scene)
    assert (await scene.deliver("create_note_quote")).status_code == 202
    quoting = await scene.post_by_uri(ZOE_QUOTE)
    kim_post = await scene.post_by_uri(KIM_POST)
    assert quoting is not None and kim_post is not None
    quote = await _state(scene, quoting.id)
    assert quote.state == QuoteState.accepted and quote.quoted_post_id == kim_post.id
    page = await scene.ana.client.get(f"/@zoe@mastodon.test/{quoting.id}")
    assert "Measure twice, knit once." in page.text
    # Mastodon's "RE:" line is kept, and hidden where the quote itself is shown.
    assert '<p class="quote-inline">RE:' in quoting.content_html
    assert "has-quote" in page.text


async def test_forged_third_party_authorizations_keep_zoe_s_quote_pending(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    await _kim_and_her_post(scene)
    for n, changes in enumerate(
        [
            {"attributedTo": "https://mastodon.test/users/zoe"},  # Zoe vouching for Kim
            {"interactingObject": "https://mastodon.test/users/zoe/statuses/1"},
            {"interactionTarget": "https://other.test/users/kim/statuses/1"},
        ]
    ):
        _kim_stamp(scene, **changes)

        def fresh(data: dict[str, Any], n: int = n) -> None:
            data["id"] = f"{data['id']}-{n}"

        assert (await scene.deliver("create_note_quote", mutate=fresh)).status_code == 202
        quoting = await scene.post_by_uri(ZOE_QUOTE)
        assert quoting is not None
        assert (await _state(scene, quoting.id)).state == QuoteState.pending
    page = await scene.ana.client.get(f"/@zoe@mastodon.test/{quoting.id}")
    assert "Kim says it better" in page.text
    assert "Measure twice, knit once." not in page.text
    assert "Quote pending" in page.text
