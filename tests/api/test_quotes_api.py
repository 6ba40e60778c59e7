"""Quote posts through the client API, as Mastodon 4.5 apps use them: Ben quotes Ana's
post (`quoted_status_id`), Ana lists and revokes quotes, and a quote never shows a post
its reader may not see."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Running
from tests.api.schemas import assert_list_of, assert_shape


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _friends(server: Running) -> tuple[str, str]:
    """Ana and Ben follow each other (so Ben's quotes are approved by the default)."""
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana, server.api("ben") as ben:
        ana_id = ok(ana.get("/api/v1/accounts/verify_credentials"))["id"]
        ben_id = ok(ben.get("/api/v1/accounts/verify_credentials"))["id"]
        ok(ben.post(f"/api/v1/accounts/{ana_id}/follow"))
        ok(ana.post(f"/api/v1/accounts/{ben_id}/follow"))
    return ana_id, ben_id


def test_ben_quotes_ana_and_apps_see_the_quote_entity(server: Running) -> None:
    _friends(server)
    with server.api("ana") as ana, server.api("ben") as ben:
        post = ok(ana.post("/api/v1/statuses", data={"status": "Tea on the porch at six"}))
        server.publish_due(31)
        quote = ok(
            ben.post(
                "/api/v1/statuses",
                data={"status": "Count me in", "quoted_status_id": post["id"]},
            )
        )
        assert_shape("Status", quote)
        assert quote["quote"]["state"] == "accepted"
        assert quote["quote"]["quoted_status"]["id"] == post["id"]
        assert_shape("Quote", quote["quote"])
        server.publish_due(60)

        shown = ok(ben.get(f"/api/v1/statuses/{quote['id']}"))
        assert shown["quote"]["quoted_status"]["content"] == post["content"]
        # One level deep: a quote of the quote carries a ShallowQuote inside.
        again = ok(
            ana.post("/api/v1/statuses", data={"status": "Ha", "quoted_status_id": quote["id"]})
        )
        nested = again["quote"]["quoted_status"]
        assert nested["quote"] == {"state": "accepted", "quoted_status_id": post["id"]}
        assert_shape("ShallowQuote", nested["quote"])

        listed = ana.get(f"/api/v1/statuses/{post['id']}/quotes")
        assert_list_of("Status", ok(listed))
        assert [s["id"] for s in listed.json()] == [quote["id"]]
        notes = ok(ana.get("/api/v1/notifications"))
        quoted = [n for n in notes if n["type"] == "quote"]
        assert [n["status"]["id"] for n in quoted] == [quote["id"]]
        assert_list_of("Notification", notes)

        revoked = ok(ana.post(f"/api/v1/statuses/{post['id']}/quotes/{quote['id']}/revoke"))
        assert revoked["id"] == quote["id"]
        assert revoked["quote"] == {"state": "revoked", "quoted_status": None}
        assert ok(ana.get(f"/api/v1/statuses/{post['id']}/quotes")) == []
        seen_by_ben = ok(ben.get(f"/api/v1/statuses/{quote['id']}"))
        assert seen_by_ben["quote"] == {"state": "revoked", "quoted_status": None}


def test_refusals_are_clear(server: Running) -> None:
    _friends(server)
    server.member("cleo")
    with server.api("ana") as ana, server.api("ben") as ben, server.api("cleo") as cleo:
        hidden = ok(
            ana.post("/api/v1/statuses", data={"status": "Just us", "visibility": "private"})
        )
        public = ok(ana.post("/api/v1/statuses", data={"status": "Out loud"}))
        server.publish_due(31)
        refused = ben.post(
            "/api/v1/statuses", data={"status": "x", "quoted_status_id": hidden["id"]}
        )
        assert refused.status_code == 422
        assert "public and unlisted" in refused.json()["error"]
        unseen = cleo.post(
            "/api/v1/statuses", data={"status": "x", "quoted_status_id": hidden["id"]}
        )
        assert unseen.status_code == 404
        # Cleo follows nobody: Ana's default asks her for others' quotes.
        asked = ok(
            cleo.post("/api/v1/statuses", data={"status": "Hm", "quoted_status_id": public["id"]})
        )
        assert asked["quote"] == {"state": "pending", "quoted_status": None}
        never = ana.post(f"/api/v1/statuses/{public['id']}/quotes/{asked['id']}/revoke")
        assert never.status_code == 404
        not_hers = ben.post(f"/api/v1/statuses/{public['id']}/quotes/{asked['id']}/revoke")
        assert not_hers.status_code == 404


def test_a_quote_never_shows_what_its_reader_may_not_see(server: Running) -> None:
    ana_id, _ = _friends(server)
    server.member("cleo")
    with server.api("ana") as ana, server.api("ben") as ben, server.api("cleo") as cleo:
        post = ok(ana.post("/api/v1/statuses", data={"status": "Secret recipe: patience"}))
        server.publish_due(31)
        quote = ok(
            ben.post("/api/v1/statuses", data={"status": "Yes", "quoted_status_id": post["id"]})
        )
        server.publish_due(60)
        with server.api() as visitor:
            for reader in (cleo, visitor):
                entity = ok(reader.get(f"/api/v1/statuses/{quote['id']}"))
                assert entity["quote"]["quoted_status"]["id"] == post["id"]

        ok(cleo.post(f"/api/v1/accounts/{ana_id}/mute"))
        muted = ok(cleo.get(f"/api/v1/statuses/{quote['id']}"))
        assert muted["quote"] == {"state": "muted_account", "quoted_status": None}

        cleo_id = ok(cleo.get("/api/v1/accounts/verify_credentials"))["id"]
        ok(ana.post(f"/api/v1/accounts/{cleo_id}/block"))
        blocked = ok(cleo.get(f"/api/v1/statuses/{quote['id']}"))
        assert blocked["quote"] == {"state": "unauthorized", "quoted_status": None}
        assert "Secret recipe" not in str(blocked)

        ok(ana.delete(f"/api/v1/statuses/{post['id']}"))
        gone = ok(ben.get(f"/api/v1/statuses/{quote['id']}"))
        assert gone["quote"] == {"state": "deleted", "quoted_status": None}


def test_the_instance_says_quotes_are_supported(server: Running) -> None:
    with server.api() as visitor:
        assert ok(visitor.get("/api/v2/instance"))["api_versions"]["mastodon"] >= 7


def test_ben_hears_when_a_post_he_quoted_is_edited(server: Running) -> None:
    _friends(server)
    with server.api("ana") as ana, server.api("ben") as ben:
        post = ok(ana.post("/api/v1/statuses", data={"status": "Tea at six"}))
        server.publish_due(31)
        quote = ok(
            ben.post("/api/v1/statuses", data={"status": "See you", "quoted_status_id": post["id"]})
        )
        server.publish_due(60)
        ok(ana.put(f"/api/v1/statuses/{post['id']}", data={"status": "Tea at seven"}))
        notes = ok(ben.get("/api/v1/notifications"))
        [update] = [n for n in notes if n["type"] == "quoted_update"]
        assert update["status"]["id"] == quote["id"]
        assert "Tea at seven" in update["status"]["quote"]["quoted_status"]["content"]
        assert_shape("Notification", update)
