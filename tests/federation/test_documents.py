"""Discovery and documents: what other servers read about Porch and its people."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.conftest import Person, publish_due

AS2 = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_webfinger_finds_a_member_by_any_form_of_their_name(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    for resource in (
        "acct:ana@localhost:8000",
        "ANA@localhost:8000",
        "acct:@ana@localhost:8000",
        "http://localhost:8000/users/ana",
        "http://localhost:8000/@ana",
    ):
        response = await visitor.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.headers["content-type"].startswith("application/jrd+json")
        assert response.headers["access-control-allow-origin"] == "*"
        body = response.json()
        assert body["subject"] == "acct:ana@localhost:8000"
        selfs = [link for link in body["links"] if link["rel"] == "self"]
        assert selfs == [{"rel": "self", "type": AS2, "href": "http://localhost:8000/users/ana"}]


async def test_webfinger_says_what_is_wrong(visitor: httpx.AsyncClient, app: Starlette) -> None:
    assert (await visitor.get("/.well-known/webfinger")).status_code == 400
    missing = await visitor.get(
        "/.well-known/webfinger", params={"resource": "acct:zed@localhost:8000"}
    )
    assert missing.status_code == 404
    elsewhere = await visitor.get(
        "/.well-known/webfinger", params={"resource": "acct:ana@other.example"}
    )
    assert elsewhere.status_code == 404


async def test_the_instance_actor_is_found_and_readable_unsigned(
    visitor: httpx.AsyncClient,
) -> None:
    found = await visitor.get(
        "/.well-known/webfinger", params={"resource": "acct:localhost:8000@localhost:8000"}
    )
    assert found.json()["links"][0]["href"] == "http://localhost:8000/actor"
    actor = await visitor.get("/actor", headers={"Accept": AS2})
    assert actor.headers["content-type"] == AS2
    assert actor.json()["type"] == "Application"
    assert "BEGIN PUBLIC KEY" in actor.json()["publicKey"]["publicKeyPem"]


async def test_the_actor_document_has_what_mastodon_reads(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    for accept in (AS2, LD):
        response = await visitor.get("/users/ana", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == AS2
        assert "Accept" in response.headers["vary"]
    doc = response.json()
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert doc["id"] == "http://localhost:8000/users/ana"
    assert doc["preferredUsername"] == "ana"
    assert doc["publicKey"]["id"] == doc["id"] + "#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    for key in (
        "inbox",
        "outbox",
        "followers",
        "following",
        "featured",
        "url",
        "published",
        "manuallyApprovesFollowers",
        "discoverable",
        "indexable",
        "endpoints",
    ):
        assert key in doc, key
    assert doc["endpoints"]["sharedInbox"] == "http://localhost:8000/inbox"
    # The same key on every read: it was made once and kept.
    again = await visitor.get("/users/ana", headers={"Accept": AS2})
    assert again.json()["publicKey"] == doc["publicKey"]


async def test_one_url_serves_people_html_and_servers_json(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    page = await visitor.get("/@ana", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    as_json = await visitor.get("/@ana", headers={"Accept": AS2})
    assert as_json.json()["type"] == "Person"
    browser = await visitor.get("/users/ana", headers={"Accept": "text/html"})
    assert browser.status_code == 302 and browser.headers["location"].endswith("/@ana")


async def test_notes_are_served_and_deleted_ones_are_tombstones(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    ana = people["ana"]
    post_id = await ana.post("Hello #porch from @ben")
    pending = await visitor.get(f"/users/ana/statuses/{post_id}", headers={"Accept": AS2})
    assert pending.status_code == 404  # nothing leaves during the pause
    await publish_due(app, clock, 31)
    note = (await visitor.get(f"/@ana/{post_id}", headers={"Accept": AS2})).json()
    assert note["type"] == "Note"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert {
        "type": "Hashtag",
        "href": "http://localhost:8000/tags/porch",
        "name": "#porch",
    } in note["tag"]
    mention = next(t for t in note["tag"] if t["type"] == "Mention")
    assert mention == {
        "type": "Mention",
        "href": "http://localhost:8000/users/ben",
        "name": "@ben@localhost:8000",
    }
    token = await ana.token(f"/@ana/{post_id}")
    await ana.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    gone = await visitor.get(f"/users/ana/statuses/{post_id}", headers={"Accept": AS2})
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"


async def test_followers_only_posts_stay_out_of_public_collections(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    ana = people["ana"]
    public_id = await ana.post("For everyone")
    private_id = await ana.post("Only followers", visibility="followers")
    await publish_due(app, clock, 31)
    outbox = (await visitor.get("/users/ana/outbox", headers={"Accept": AS2})).json()
    assert outbox["totalItems"] == 1
    page = (await visitor.get(outbox["first"], headers={"Accept": AS2})).json()
    ids = [item["object"]["id"] for item in page["orderedItems"]]
    assert ids == [f"http://localhost:8000/users/ana/statuses/{public_id}"]
    hidden = await visitor.get(f"/users/ana/statuses/{private_id}", headers={"Accept": AS2})
    assert hidden.status_code == 404


async def test_followers_collection_is_paged(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    await people["ben"].follow("ana")
    await people["cleo"].follow("ana")
    collection = (await visitor.get("/users/ana/followers", headers={"Accept": AS2})).json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 2
    page = (await visitor.get(collection["first"], headers={"Accept": AS2})).json()
    assert set(page["orderedItems"]) == {
        "http://localhost:8000/users/ben",
        "http://localhost:8000/users/cleo",
    }


async def test_nodeinfo_describes_the_community(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    links = (await visitor.get("/.well-known/nodeinfo")).json()["links"]
    for version in ("2.0", "2.1"):
        href = next(link["href"] for link in links if link["rel"].endswith(version))
        body = (await visitor.get(href)).json()
        assert body["software"]["name"] == "porch"
        assert body["protocols"] == ["activitypub"]
        assert body["usage"]["users"]["total"] == 3
        assert body["openRegistrations"] is True
        assert body["metadata"]["norms"]["pausePostSeconds"] == 30
        assert body["metadata"]["norms"]["defaultTimeline"] == "conversations"
        assert body["metadata"]["norms"]["rankingHalfLifeHours"] == 24
    meta = await visitor.get("/.well-known/host-meta")
    assert "lrdd" in meta.text and meta.headers["content-type"].startswith("application/xrd+xml")


async def test_ids_too_large_for_the_database_are_simply_not_found(
    people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    huge = "9" * 19
    for path in (f"/users/ana/statuses/{huge}", f"/users/ana/statuses/{huge}/activity"):
        assert (await visitor.get(path, headers={"Accept": AS2})).status_code == 404
    # A cursor Porch never gave names no item to page from (server/ids.py).
    page = await visitor.get(f"/users/ana/followers?page=1&max_id={huge}", headers={"Accept": AS2})
    assert page.status_code == 400
    assert "max_id" in page.json()["error"]
