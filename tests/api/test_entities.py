"""Every entity Porch returns has the fields and types of Mastodon's documented entities.

The JSON is read raw (not through Mastodon.py, which turns it into Python objects) and
checked against the schemas in tests/api/schemas, written from Mastodon's documentation.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import Running
from tests.api.schemas import assert_list_of, assert_shape


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def scene(server: Running) -> dict[str, Any]:
    """Ana posts (with an image) and Ben follows, replies, likes, boosts and bookmarks."""
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana, server.api("ben") as ben:
        ana_id = ok(ana.get("/api/v1/accounts/verify_credentials"))["id"]
        ok(ben.post(f"/api/v1/accounts/{ana_id}/follow"))
        picture = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 140, 200)).save(picture, "PNG")
        media = ok(
            ana.post(
                "/api/v2/media",
                files={"file": ("porch.png", picture.getvalue(), "image/png")},
                data={"description": "Evening light", "focus": "0.1,0.2"},
            )
        )
        post = ok(
            ana.post(
                "/api/v1/statuses",
                json={"status": "Evening on the porch #tea", "media_ids": [media["id"]]},
            )
        )
        server.publish_due(31)
        reply = ok(
            ben.post(
                "/api/v1/statuses",
                data={"status": "@ana lovely light", "in_reply_to_id": post["id"]},
            )
        )
        server.publish_due(21)
        ok(ben.post(f"/api/v1/statuses/{post['id']}/favourite"))
        ok(ben.post(f"/api/v1/statuses/{post['id']}/reblog"))
        ok(ben.post(f"/api/v1/statuses/{post['id']}/bookmark"))
        ok(ana.put(f"/api/v1/statuses/{post['id']}", data={"status": "Evening on the porch #tea!"}))
    return {"ana_id": ana_id, "post": post, "reply": reply, "media": media}


def test_accounts_and_relationships(server: Running, scene: dict[str, Any]) -> None:
    with server.api("ben") as ben:
        me = ok(ben.get("/api/v1/accounts/verify_credentials"))
        assert_shape("CredentialAccount", me)
        assert (me["statuses_count"], me["following_count"], me["followers_count"]) == (2, 1, 0)
        ana = ok(ben.get(f"/api/v1/accounts/{scene['ana_id']}"))
        assert_shape("Account", ana)
        assert (ana["statuses_count"], ana["followers_count"]) == (1, 1)
        assert ana["last_status_at"] == server.clock.now().strftime("%Y-%m-%d")
        assert_shape("Account", ok(ben.get("/api/v1/accounts/lookup", params={"acct": "ana"})))
        found = ok(ben.get("/api/v1/accounts/relationships", params={"id[]": scene["ana_id"]}))
        assert_list_of("Relationship", found)
        assert found[0]["following"] is True
        assert_list_of("Account", ok(ben.get(f"/api/v1/accounts/{scene['ana_id']}/followers")))
        assert_shape("Search", ok(ben.get("/api/v2/search", params={"q": "an"})))


def test_statuses_and_their_parts(server: Running, scene: dict[str, Any]) -> None:
    post_id = scene["post"]["id"]
    with server.api("ben") as ben:
        status = ok(ben.get(f"/api/v1/statuses/{post_id}"))
        assert_shape("Status", status)
        assert status["tags"] == [{"name": "tea", "url": f"{server.base}/tags/tea"}]
        assert status["edited_at"] is not None
        assert_shape("Context", ok(ben.get(f"/api/v1/statuses/{scene['reply']['id']}/context")))
        assert_list_of("StatusEdit", ok(ben.get(f"/api/v1/statuses/{post_id}/history")))
        assert_list_of("Status", ok(ben.get("/api/v1/timelines/home")))
        assert_list_of("Status", ok(ben.get("/api/v1/timelines/public")))
        assert_list_of("Status", ok(ben.get("/api/v1/bookmarks")))
        assert_list_of("Status", ok(ben.get("/api/v1/favourites")))
        reply = ok(ben.get(f"/api/v1/statuses/{scene['reply']['id']}"))
        assert reply["mentions"][0]["acct"] == "ana"
    with server.api("ana") as ana:
        assert_shape("StatusSource", ok(ana.get(f"/api/v1/statuses/{post_id}/source")))
        assert_shape("MediaAttachment", ok(ana.get(f"/api/v1/media/{scene['media']['id']}")))


def test_notifications(server: Running, scene: dict[str, Any]) -> None:
    with server.api("ana") as ana:
        found = ok(ana.get("/api/v1/notifications"))
        assert_list_of("Notification", found)
        assert {n["type"] for n in found} == {"follow", "mention", "favourite", "reblog"}
        only = ok(ana.get("/api/v1/notifications", params={"types[]": ["favourite"]}))
        assert [n["type"] for n in only] == ["favourite"]
        assert_shape("Notification", ok(ana.get(f"/api/v1/notifications/{found[0]['id']}")))


def test_instance_app_token_and_the_rest(server: Running, scene: dict[str, Any]) -> None:
    with server.api() as visitor:
        assert_shape("Instance", ok(visitor.get("/api/v2/instance")))
        assert_shape("InstanceV1", ok(visitor.get("/api/v1/instance")))
        assert_list_of("Rule", ok(visitor.get("/api/v1/instance/rules")))
        registered = visitor.post(
            "/api/v1/apps",
            data={"client_name": "Shape", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        )
        assert_shape("Application", ok(registered))
        token = visitor.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": registered.json()["client_id"],
                "client_secret": registered.json()["client_secret"],
            },
        )
        assert_shape("Token", ok(token))
        assert_shape("Error", visitor.get("/api/v1/timelines/home").json())
    with server.api("ana") as ana:
        assert_shape("Preferences", ok(ana.get("/api/v1/preferences")))
        saved = ok(ana.post("/api/v1/markers", data={"home[last_read_id]": scene["post"]["id"]}))
        assert_shape("Marker", saved)
        assert_shape("Marker", ok(ana.get("/api/v1/markers", params={"timeline[]": "home"})))
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea people"}))
        assert_shape("List", made)
        assert_list_of("List", ok(ana.get("/api/v1/lists")))
        assert ok(ana.get("/api/v1/custom_emojis")) == []
        assert_shape("Tag", ok(ana.get("/api/v1/tags/Tea")))
        assert ok(ana.get(f"/api/v1/accounts/{scene['ana_id']}/featured_tags")) == []
