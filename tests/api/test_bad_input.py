"""Bad input to the client API is refused in Mastodon's shape, never a 500, and changes nothing.

Every refusal is checked for its status and for `{"error": "..."}`, and where the request
tried to change something, a follow-up read shows that nothing did.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import REDIRECT, Running, csrf


def refused(response: httpx.Response, status: int) -> str:
    """The response is a refusal with `status` and Mastodon's error entity; its message."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    return str(body["error"])


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(picture, "PNG")
    return picture.getvalue()


def upload(api: httpx.Client) -> str:
    media = ok(api.post("/api/v2/media", files={"file": ("porch.png", png(), "image/png")}))
    return str(media["id"])


def client(server: Running, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def scoped_token(server: Running, username: str, scope: str) -> str:
    """A token for `username` with only `scope`, through the code flow."""
    client_id, secret = server.register_app()
    code = server.authorize(username, client_id, scope=scope)
    issued = ok(
        httpx.post(
            server.base + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": REDIRECT,
            },
        )
    )
    assert issued["scope"] == scope
    return str(issued["access_token"])


def my_id(api: httpx.Client) -> str:
    return str(ok(api.get("/api/v1/accounts/verify_credentials"))["id"])


def nothing_posted(server: Running, name: str) -> None:
    """No post of `name`'s is waiting to go out, and none is on their profile."""
    assert server.publish_due(60) == 0
    with server.api(name) as api:
        assert ok(api.get(f"/api/v1/accounts/{my_id(api)}/statuses")) == []
        assert ok(api.get("/api/v1/timelines/home")) == []


# --- Tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer"}],
    ids=["missing", "wrong", "empty"],
)
def test_the_home_timeline_without_a_valid_token_is_401(
    server: Running, headers: dict[str, str]
) -> None:
    response = httpx.get(server.base + "/api/v1/timelines/home", headers=headers)
    refused(response, 401)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YW5hOnB3"}],
    ids=["missing", "wrong", "basic"],
)
def test_posting_without_a_valid_token_is_401_and_posts_nothing(
    server: Running, headers: dict[str, str]
) -> None:
    server.member("ana")
    response = httpx.post(
        server.base + "/api/v1/statuses", data={"status": "Hello"}, headers=headers
    )
    refused(response, 401)
    nothing_posted(server, "ana")


def test_a_token_passed_as_a_wrong_access_token_parameter_is_401(server: Running) -> None:
    response = httpx.get(
        server.base + "/api/v1/timelines/home", params={"access_token": "not-a-token"}
    )
    refused(response, 401)


def test_a_read_only_token_cannot_post_and_nothing_is_posted(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "read")) as reader:
        ok(reader.get("/api/v1/timelines/home"))
        refused(reader.post("/api/v1/statuses", data={"status": "Hello"}), 403)
        refused(reader.post("/api/v1/statuses", json={"status": "Hello"}), 403)
    nothing_posted(server, "ana")


def test_a_statuses_only_token_cannot_read_notifications(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "read:statuses")) as reader:
        ok(reader.get("/api/v1/timelines/home"))
        refused(reader.get("/api/v1/notifications"), 403)
        refused(reader.get("/api/v1/notifications/unread_count"), 403)
        refused(reader.post("/api/v1/statuses", data={"status": "Hello"}), 403)


def test_a_granular_write_statuses_token_may_post(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "write:statuses")) as writer:
        posted = ok(writer.post("/api/v1/statuses", data={"status": "Granular hello"}))
        assert posted["content"] == "<p>Granular hello</p>"
        # It may write statuses, nothing else: not even read the timeline.
        refused(writer.get("/api/v1/timelines/home"), 403)
        refused(writer.post("/api/v1/lists", data={"title": "Tea"}), 403)
    assert server.publish_due(31) == 1


def test_a_revoked_token_is_401_afterwards(server: Running) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id)
    issued = ok(
        httpx.post(
            server.base + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": REDIRECT,
            },
        )
    )
    with client(server, issued["access_token"]) as api:
        ok(api.get("/api/v1/accounts/verify_credentials"))
        revoked = httpx.post(
            server.base + "/oauth/revoke",
            data={"client_id": client_id, "client_secret": secret, "token": issued["access_token"]},
        )
        assert revoked.status_code == 200, revoked.text
        refused(api.get("/api/v1/accounts/verify_credentials"), 401)
        refused(api.post("/api/v1/statuses", data={"status": "Still here?"}), 401)
    nothing_posted(server, "ana")


def test_revoking_with_a_wrong_secret_is_refused_and_the_token_still_works(
    server: Running,
) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id)
    issued = ok(
        httpx.post(
            server.base + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": REDIRECT,
            },
        )
    )
    revoked = httpx.post(
        server.base + "/oauth/revoke",
        data={"client_id": client_id, "client_secret": "wrong", "token": issued["access_token"]},
    )
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "invalid_client"
    with client(server, issued["access_token"]) as api:
        ok(api.get("/api/v1/accounts/verify_credentials"))


# --- Other people's posts ---------------------------------------------------------------


@pytest.fixture
def anas_post(server: Running) -> dict[str, Any]:
    """Ana's published public post; Ben exists and follows nobody."""
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana:
        post = ok(ana.post("/api/v1/statuses", data={"status": "Tea at five"}))
    server.publish_due(31)
    return dict(post)


def test_editing_someone_elses_post_is_404_and_it_stays_as_it_was(
    server: Running, anas_post: dict[str, Any]
) -> None:
    with server.api("ben") as ben:
        path = f"/api/v1/statuses/{anas_post['id']}"
        refused(ben.put(path, data={"status": "Tea at six"}), 404)
        refused(ben.put(path, json={"status": "Tea at six", "media_ids": []}), 404)
        refused(ben.get(path + "/source"), 404)
        seen = ok(ben.get(path))
        assert seen["content"] == "<p>Tea at five</p>"
        assert seen["edited_at"] is None
        assert ok(ben.get(path + "/history"))[-1]["content"] == "<p>Tea at five</p>"
        assert len(ok(ben.get(path + "/history"))) == 1


def test_deleting_someone_elses_post_is_404_and_it_stays(
    server: Running, anas_post: dict[str, Any]
) -> None:
    with server.api("ben") as ben:
        path = f"/api/v1/statuses/{anas_post['id']}"
        refused(ben.delete(path), 404)
        assert ok(ben.get(path))["content"] == "<p>Tea at five</p>"
    with server.api("ana") as ana:
        assert [s["id"] for s in ok(ana.get("/api/v1/timelines/home"))] == [anas_post["id"]]


def test_unpinning_or_unboosting_someone_elses_post_changes_nothing(
    server: Running, anas_post: dict[str, Any]
) -> None:
    with server.api("ben") as ben:
        path = f"/api/v1/statuses/{anas_post['id']}"
        refused(ben.post(path + "/pin"), 404)
        refused(ben.post(path + "/unpin"), 404)
        seen = ok(ben.post(path + "/unreblog"))
        assert seen["reblogs_count"] == 0 and seen["reblogged"] is False


def test_a_post_still_in_its_pause_is_404_to_everyone_else(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana:
        post = ok(ana.post("/api/v1/statuses", data={"status": "Not yet"}))
    path = f"/api/v1/statuses/{post['id']}"
    with server.api("ben") as ben:
        refused(ben.get(path), 404)
        refused(ben.get(path + "/context"), 404)
        refused(ben.post(path + "/favourite"), 404)
        refused(ben.post(path + "/reblog"), 404)
        refused(ben.post(path + "/bookmark"), 404)
        refused(ben.post("/api/v1/statuses", data={"status": "hm", "in_reply_to_id": post["id"]}), 404)
    server.publish_due(31)
    with server.api("ana") as ana:
        seen = ok(ana.get(path))
        assert (seen["favourites_count"], seen["reblogs_count"], seen["replies_count"]) == (0, 0, 0)
        assert ok(ana.get("/api/v1/notifications")) == []


def test_a_followers_only_post_is_404_to_someone_who_does_not_follow(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana:
        post = ok(
            ana.post("/api/v1/statuses", data={"status": "Only friends", "visibility": "private"})
        )
    server.publish_due(31)
    path = f"/api/v1/statuses/{post['id']}"
    with server.api("ben") as ben:
        refused(ben.get(path), 404)
        refused(ben.get(path + "/context"), 404)
        refused(ben.get(path + "/history"), 404)
        refused(ben.post(path + "/favourite"), 404)
        refused(ben.post(path + "/reblog"), 404)
        refused(ben.post(path + "/bookmark"), 404)
        assert ok(ben.get("/api/v1/favourites")) == []
        assert ok(ben.get("/api/v1/bookmarks")) == []
    with server.api() as visitor:
        refused(visitor.get(path), 404)
    with server.api("ana") as ana:
        seen = ok(ana.get(path))
        assert (seen["favourites_count"], seen["reblogs_count"]) == (0, 0)
        assert ok(ana.get("/api/v1/notifications")) == []


# --- Invalid parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"status": ""},
        {"status": "   \n  "},
        {},
        {"status": "a" * 501},
        {"status": "Hi", "visibility": "everyone"},
        {"status": "Hi", "language": "not a language!"},
        {"status": "Hi", "spoiler_text": "w" * 201},
        {"status": "Hi", "sensitive": "maybe"},
        {"status": "Hi", "media_ids[]": "abc"},
        {"status": "Hi", "media_ids[]": "999999"},
        {"status": "Hi", "poll[options][]": ["Tea", "Coffee"], "poll[expires_in]": "3600"},
        {"status": "Hi", "scheduled_at": "2030-01-01T10:00:00Z"},
    ],
    ids=[
        "empty",
        "blank",
        "no status",
        "over the limit",
        "unknown visibility",
        "not a language",
        "long content warning",
        "sensitive not a flag",
        "media id not a number",
        "unknown media id",
        "poll",
        "scheduled",
    ],
)
def test_a_post_with_invalid_form_parameters_is_422_and_posts_nothing(
    server: Running, body: dict[str, Any]
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v1/statuses", data=body), 422)
    nothing_posted(server, "ana")


@pytest.mark.parametrize(
    "body",
    [
        {"status": ""},
        {"status": "a" * 501},
        {"status": "Hi", "visibility": "everyone"},
        {"status": "Hi", "visibility": 3},
        {"status": "Hi", "language": "not a language!"},
        {"status": "Hi", "media_ids": ["abc"]},
        {"status": "Hi", "media_ids": [-1]},
        {"status": "Hi", "poll": {"options": ["Tea", "Coffee"], "expires_in": 3600}},
        {"status": "Hi", "scheduled_at": "2030-01-01T10:00:00Z"},
        {"status": ["Hi", "there"]},
    ],
    ids=[
        "empty",
        "over the limit",
        "unknown visibility",
        "numeric visibility",
        "not a language",
        "media id not a number",
        "negative media id",
        "poll",
        "scheduled",
        "status is a list",
    ],
)
def test_a_post_with_invalid_json_parameters_is_422_and_posts_nothing(
    server: Running, body: dict[str, Any]
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v1/statuses", json=body), 422)
    nothing_posted(server, "ana")


def test_exactly_the_character_limit_is_fine(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        ok(ana.post("/api/v1/statuses", data={"status": "a" * 500}))


def test_a_body_that_is_not_json_is_400_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for body in (b'{"status": "Hi"', b"{'status': 'Hi'}", b"\xff\xfe{}", b"status=Hi"):
            response = ana.post(
                "/api/v1/statuses", content=body, headers={"Content-Type": "application/json"}
            )
            refused(response, 400)
    nothing_posted(server, "ana")


@pytest.mark.parametrize("body", ["[]", '["status", "Hi"]', '"Hi"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_422(server: Running, body: str) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        response = ana.post(
            "/api/v1/statuses", content=body, headers={"Content-Type": "application/json"}
        )
        refused(response, 422)
    nothing_posted(server, "ana")


@pytest.mark.xfail(
    strict=True,
    reason="a JSON body nested deeper than Python's recursion limit raises RecursionError "
    "in json.loads (server/api/mastodon/params.py catches only ValueError): 500",
)
def test_a_deeply_nested_json_body_is_refused_not_a_crash(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        body = '{"status": ' + "[" * 50_000 + "]" * 50_000 + "}"
        response = ana.post(
            "/api/v1/statuses", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), (response.status_code, response.text)
        refused(response, response.status_code)
    nothing_posted(server, "ana")


@pytest.mark.xfail(
    strict=True,
    reason="a JSON body nested a few hundred levels deep parses, then Params._flatten "
    "recurses once per level and hits RecursionError: 500",
)
def test_a_json_body_nested_hundreds_of_levels_is_refused_not_a_crash(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        body = '{"status": "Hi", "x": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}"
        response = ana.post(
            "/api/v1/statuses", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (response.status_code, response.text)
        refused(response, response.status_code)


def test_someone_elses_upload_cannot_be_attached_and_stays_theirs(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ben") as ben:
        bens = upload(ben)
    with server.api("ana") as ana:
        refused(ana.post("/api/v1/statuses", json={"status": "Mine", "media_ids": [bens]}), 422)
        refused(ana.post("/api/v1/statuses", data={"media_ids[]": bens}), 422)
        refused(ana.get(f"/api/v1/media/{bens}"), 404)
        refused(ana.put(f"/api/v1/media/{bens}", data={"description": "Taken"}), 404)
    nothing_posted(server, "ana")
    with server.api("ben") as ben:
        assert ok(ben.get(f"/api/v1/media/{bens}"))["description"] is None
        posted = ok(ben.post("/api/v1/statuses", json={"status": "Mine", "media_ids": [bens]}))
        assert [m["id"] for m in posted["media_attachments"]] == [bens]


def test_more_than_four_images_are_refused_and_none_is_used_up(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        ids = [upload(ana) for _ in range(5)]
        refused(ana.post("/api/v1/statuses", json={"status": "Five", "media_ids": ids}), 422)
        nothing_posted(server, "ana")
        posted = ok(ana.post("/api/v1/statuses", json={"status": "Four", "media_ids": ids[:4]}))
        assert [m["id"] for m in posted["media_attachments"]] == ids[:4]


def test_editing_with_invalid_parameters_is_422_and_the_post_stays(
    server: Running, anas_post: dict[str, Any]
) -> None:
    path = f"/api/v1/statuses/{anas_post['id']}"
    with server.api("ana") as ana:
        refused(ana.put(path, data={"status": ""}), 422)
        refused(ana.put(path, data={"status": "a" * 501}), 422)
        refused(ana.put(path, data={"status": "Hi", "language": "not a language!"}), 422)
        refused(ana.put(path, json={"status": "Hi", "media_ids": ["999999"]}), 422)
        refused(ana.put(path, json={"status": "Hi", "poll": {"options": ["a", "b"]}}), 422)
        seen = ok(ana.get(path))
        assert seen["content"] == "<p>Tea at five</p>"
        assert seen["edited_at"] is None
        assert len(ok(ana.get(path + "/history"))) == 1


@pytest.mark.parametrize("focus", ["3,3", "0.5", "a,b", "0.5,0.5,0.5", "nan,0", "inf,0", ","])
def test_a_focus_out_of_range_is_422_and_the_media_keeps_its_focus(
    server: Running, focus: str
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        media = ok(
            ana.post(
                "/api/v2/media",
                files={"file": ("porch.png", png(), "image/png")},
                data={"description": "Before", "focus": "0.1,0.2"},
            )
        )
        path = f"/api/v1/media/{media['id']}"
        refused(ana.put(path, data={"focus": focus, "description": "After"}), 422)
        seen = ok(ana.get(path))
        assert seen["meta"]["focus"] == {"x": 0.1, "y": 0.2}
        assert seen["description"] == "Before"


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"title": "   "}, {}, {"title": "Tea", "replies_policy": "everyone"}],
    ids=["empty title", "blank title", "no title", "unknown replies policy"],
)
def test_a_list_with_invalid_parameters_is_422_and_none_is_made(
    server: Running, body: dict[str, str]
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v1/lists", data=body), 422)
        refused(ana.post("/api/v1/lists", json=body), 422)
        assert ok(ana.get("/api/v1/lists")) == []


def test_renaming_a_list_to_nothing_is_422_and_it_keeps_its_title(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea people"}))
        refused(ana.put(f"/api/v1/lists/{made['id']}", data={"title": ""}), 422)
        assert ok(ana.get(f"/api/v1/lists/{made['id']}"))["title"] == "Tea people"


def test_a_profile_with_invalid_parameters_is_422_and_stays_as_it_was(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        before = ok(ana.get("/api/v1/accounts/verify_credentials"))
        path = "/api/v1/accounts/update_credentials"
        refused(ana.patch(path, data={"display_name": "x" * 1000}), 422)
        refused(ana.patch(path, data={"note": "x" * 100_000}), 422)
        refused(ana.patch(path, data={"locked": "perhaps"}), 422)
        after = ok(ana.get("/api/v1/accounts/verify_credentials"))
        for name in ("display_name", "note", "locked", "fields"):
            assert after[name] == before[name]


# --- Unknown ids and paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statuses/999999",
        "/api/v1/statuses/999999/context",
        "/api/v1/statuses/abc",
        "/api/v1/statuses/-1",
        "/api/v1/statuses/99999999999999999999999",
        "/api/v1/statuses/9223372036854775808",
        "/api/v1/statuses/0",
        "/api/v1/statuses/1.5",
        "/api/v1/statuses/%20",
        "/api/v1/accounts/999999",
        "/api/v1/accounts/abc",
        "/api/v1/accounts/-1",
        "/api/v1/accounts/99999999999999999999999",
        "/api/v1/accounts/999999/statuses",
        "/api/v1/accounts/999999/followers",
        "/api/v1/notifications/123",
        "/api/v1/notifications/abc",
        "/api/v1/lists/5",
        "/api/v1/lists/abc",
        "/api/v1/lists/5/accounts",
        "/api/v1/timelines/list/5",
        "/api/v1/media/999999",
    ],
)
def test_an_unknown_id_is_404(server: Running, path: str) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/statuses/999999/favourite"),
        ("POST", "/api/v1/statuses/abc/reblog"),
        ("POST", "/api/v1/statuses/-1/bookmark"),
        ("PUT", "/api/v1/statuses/999999"),
        ("DELETE", "/api/v1/statuses/99999999999999999999999"),
        ("POST", "/api/v1/accounts/999999/follow"),
        ("POST", "/api/v1/accounts/abc/block"),
        ("POST", "/api/v1/notifications/123/dismiss"),
        ("DELETE", "/api/v1/lists/5"),
        ("PUT", "/api/v1/lists/5"),
        ("PUT", "/api/v1/media/999999"),
    ],
)
def test_changing_something_unknown_is_404(server: Running, method: str, path: str) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.request(method, path, data={"status": "x", "title": "x"}), 404)
    nothing_posted(server, "ana")


def test_replying_to_an_unknown_post_is_404_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for target in ("999999", "abc", "-1", "99999999999999999999999"):
            response = ana.post("/api/v1/statuses", data={"status": "Hm", "in_reply_to_id": target})
            refused(response, 404)
    nothing_posted(server, "ana")


@pytest.mark.xfail(
    strict=True,
    reason="str.isdigit() accepts '²' but int('²') raises ValueError: Call.path_id "
    "(server/api/mastodon/context.py) lets it through and the handler answers 500",
)
@pytest.mark.parametrize("raw", ["²", "¹²³", "①"])
def test_an_id_of_unicode_digits_is_an_unknown_record(server: Running, raw: str) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.get(f"/api/v1/statuses/{raw}"), 404)


@pytest.mark.xfail(
    strict=True,
    reason="paging cursors (server/api/mastodon/paging.py _cursor) check str.isdigit() "
    "then int(): max_id=² raises ValueError, 500",
)
def test_a_paging_cursor_of_unicode_digits_is_not_a_crash(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        response = ana.get("/api/v1/timelines/home", params={"max_id": "²"})
        assert response.status_code == 200, (response.status_code, response.text)


@pytest.mark.xfail(
    strict=True,
    reason="media_ids (statuses._media_ids), in_reply_to_id (statuses._reply_to), "
    "account_ids (lists._account_ids), id[] (accounts.relationships_of) and account_id "
    "(notifications.listing) check str.isdigit() then int(): '²' is a 500",
)
@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("POST", "/api/v1/statuses", {"status": "Hi", "media_ids[]": "²"}),
        ("POST", "/api/v1/statuses", {"status": "Hi", "in_reply_to_id": "²"}),
        ("GET", "/api/v1/accounts/relationships", {"id[]": "²"}),
        ("GET", "/api/v1/notifications", {"account_id": "²"}),
    ],
    ids=["media_ids", "in_reply_to_id", "relationships", "notifications"],
)
def test_id_parameters_of_unicode_digits_are_not_a_crash(
    server: Running, method: str, path: str, params: dict[str, str]
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        if method == "GET":
            response = ana.get(path, params=params)
        else:
            response = ana.post(path, data=params)
        assert response.status_code < 500, (response.status_code, response.text)
        if response.status_code >= 400:
            refused(response, response.status_code)
    nothing_posted(server, "ana")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing",
        "/api/v1/statuses/1/nothing",
        "/api/v2/timelines/home",
        "/api/v1/",
        "/api/v3/instance",
        "/api/v1/admin/accounts",
    ],
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_an_unknown_api_path_is_a_json_404(server: Running, path: str, signed_in: bool) -> None:
    if signed_in:
        server.member("ana")
    with server.api("ana" if signed_in else None) as api:
        response = api.get(path, headers={"Accept": "text/html"})
        refused(response, 404)
        assert response.headers["content-type"].startswith("application/json")


def test_a_known_api_path_with_the_wrong_method_is_a_json_405(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.delete("/api/v1/timelines/home"), 405)
        refused(ana.post("/api/v1/accounts/verify_credentials"), 405)
    nothing_posted(server, "ana")


# --- OAuth --------------------------------------------------------------------------------


def test_a_token_request_with_a_wrong_client_secret_is_401_invalid_client(
    server: Running,
) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": "not-the-secret",
        "redirect_uri": REDIRECT,
    }
    response = httpx.post(server.base + "/oauth/token", data=exchange)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    unknown = httpx.post(server.base + "/oauth/token", data={**exchange, "client_id": "nobody"})
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"
    credentials = httpx.post(
        server.base + "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": ""},
    )
    assert credentials.status_code == 401
    assert credentials.json()["error"] == "invalid_client"
    # The code was not used up by someone without the secret.
    good = httpx.post(server.base + "/oauth/token", data={**exchange, "client_secret": secret})
    assert good.status_code == 200, good.text


@pytest.mark.parametrize("grant_type", ["password", "refresh_token", "", "implicit"])
def test_an_unknown_grant_type_is_400_unsupported_grant_type(
    server: Running, grant_type: str
) -> None:
    client_id, secret = server.register_app()
    response = httpx.post(
        server.base + "/oauth/token",
        data={
            "grant_type": grant_type,
            "client_id": client_id,
            "client_secret": secret,
            "username": "ana",
            "password": "x",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_token_request_that_is_not_json_is_400_invalid_request(server: Running) -> None:
    response = httpx.post(
        server.base + "/oauth/token",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_wrong_code_is_400_invalid_grant(server: Running) -> None:
    client_id, secret = server.register_app()
    response = httpx.post(
        server.base + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": "made-up",
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def authorization(client_id: str, changes: dict[str, str]) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "read",
        "state": "xyz",
        **changes,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": REDIRECT + "/more"},
        {"redirect_uri": ""},
        {"client_id": "no-such-app"},
        {"client_id": ""},
        {"scope": "read admin:write"},
        {"scope": "read write"},
        {"response_type": "token"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
    ],
    ids=[
        "unregistered redirect",
        "longer redirect",
        "no redirect",
        "unknown client",
        "no client",
        "unknown scope",
        "unregistered scope",
        "implicit flow",
        "short challenge",
        "plain challenge",
    ],
)
def test_a_bad_authorization_request_shows_a_400_page_and_never_redirects(
    server: Running, changes: dict[str, str]
) -> None:
    server.member("ana")
    registered = ok(
        httpx.post(
            server.base + "/api/v1/apps",
            data={"client_name": "Reader", "redirect_uris": REDIRECT, "scopes": "read"},
        )
    )
    query = authorization(registered["client_id"], changes)
    browser = server.browser("ana")
    try:
        page = browser.get("/oauth/authorize", params=query)
        assert page.status_code == 400, page.text
        assert "location" not in page.headers
        assert "text/html" in page.headers["content-type"]
        assert "evil.example" not in page.text
        # The consent form, posted anyway, is refused the same way: no code, no redirect.
        token = csrf(page.text)
        answer = browser.post(
            "/oauth/authorize", data={**query, "decision": "allow", "csrf_token": token}
        )
        assert answer.status_code == 400, answer.text
        assert "location" not in answer.headers
    finally:
        browser.close()


@pytest.mark.parametrize(
    "body",
    [
        {"redirect_uris": REDIRECT},
        {"client_name": "", "redirect_uris": REDIRECT},
        {"client_name": "   ", "redirect_uris": REDIRECT},
        {"client_name": "x" * 201, "redirect_uris": REDIRECT},
        {"client_name": "App"},
        {"client_name": "App", "redirect_uris": ""},
        {"client_name": "App", "redirect_uris": "not a uri"},
        {"client_name": "App", "redirect_uris": "https://app.example/cb#fragment"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "read admin:read"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "everything"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "read:everything"},
    ],
    ids=[
        "no name",
        "empty name",
        "blank name",
        "long name",
        "no redirect",
        "empty redirect",
        "redirect not a uri",
        "redirect with fragment",
        "admin scope",
        "unknown scope",
        "unknown granular scope",
    ],
)
def test_registering_an_app_with_invalid_parameters_is_422(
    server: Running, body: dict[str, str]
) -> None:
    refused(httpx.post(server.base + "/api/v1/apps", data=body), 422)
    refused(httpx.post(server.base + "/api/v1/apps", json=body), 422)
    refused(httpx.post(server.base + "/api/v1/apps", params=body), 422)


# --- Media ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (bytes(range(256)) * 8, "image/png"),
        (b"GIF89a" + b"\x00" * 40, "image/gif"),
        (b"%PDF-1.4\n" + b"x" * 200, "application/pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    ],
    ids=["random bytes", "truncated gif", "pdf", "svg", "truncated png"],
)
def test_an_upload_that_is_not_an_image_is_422(server: Running, content: bytes, kind: str) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        response = ana.post("/api/v2/media", files={"file": ("file.png", content, kind)})
        refused(response, 422)
        refused(ana.post("/api/v1/media", files={"file": ("file.png", content, kind)}), 422)
        refused(ana.post("/api/v1/statuses", json={"status": "x", "media_ids": ["1"]}), 422)
    nothing_posted(server, "ana")


def test_an_empty_upload_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v2/media", files={"file": ("empty.png", b"", "image/png")}), 422)


def test_an_upload_without_a_file_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v2/media", data={"file": "not a file"}), 422)
        refused(ana.post("/api/v2/media", json={"file": "not a file"}), 422)
        refused(ana.post("/api/v2/media"), 422)


def test_a_file_where_text_belongs_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        response = ana.post(
            "/api/v1/statuses", files={"status": ("status.txt", b"Hello", "text/plain")}
        )
        refused(response, 422)
    nothing_posted(server, "ana")


# --- Text the database may not store ------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Tea\x00at five", "Tea \udcff at five"], ids=["NUL", "lone surrogate"]
)
def test_a_post_with_characters_text_cannot_hold_is_refused_not_a_crash(
    server: Running, text: str
) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        body = json.dumps({"status": text})  # ASCII with \\u escapes: valid JSON
        response = ana.post(
            "/api/v1/statuses", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (response.status_code, response.text)
        if response.status_code >= 400:
            refused(response, response.status_code)
