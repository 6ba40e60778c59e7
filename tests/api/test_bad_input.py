"""Bad input to the client API is refused in Mastodon's shape, never a 500, and changes nothing.

Every refusal is checked for its status and for `{"error": "..."}`; where the request
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

OOB = "urn:ietf:wg:oauth:2.0:oob"
#: Ids past what a 32-bit column holds, and the largest id the API accepts.
BIG_IDS = ("3000000000", "9223372036854775807")


def settled(response: httpx.Response) -> httpx.Response:
    """After a 5xx, wait until the server has logged its traceback.

    Uvicorn logs the exception after sending the 500. Python 3.11's `ast` module keeps one
    recursion counter for all threads, so the server's traceback formatting and pytest's
    failure report, both parsing source at once, can crash pytest itself (SystemError: AST
    constructor recursion depth mismatch). The server handles a second request only once
    its event loop is free, that is once the logging is done.
    """
    if response.status_code >= 500:
        url = response.request.url
        httpx.get(f"{url.scheme}://{url.netloc.decode()}/api/v1/instance", timeout=30)
    return response


def refused(response: httpx.Response, status: int, case: object = "") -> str:
    """The response is a refusal with `status` and Mastodon's error entity; its message."""
    request = f"{response.request.method} {response.request.url} {case}"
    settled(response)
    assert response.status_code == status, (request, response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict), (request, body)
    assert isinstance(body.get("error"), str) and body["error"], (request, body)
    return str(body["error"])


def not_a_crash(response: httpx.Response, case: object = "") -> None:
    """Whatever the answer, it is not a 5xx, and a refusal is in Mastodon's shape."""
    request = f"{response.request.method} {response.request.url} {case}"
    settled(response)
    assert response.status_code < 500, (request, response.status_code, response.text)
    if response.status_code >= 400:
        refused(response, response.status_code, case)


def ok(response: httpx.Response) -> Any:
    settled(response)
    assert response.status_code == 200, (response.request.url, response.status_code, response.text)
    return response.json()


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(picture, "PNG")
    return picture.getvalue()


def upload(api: httpx.Client, **data: str) -> dict[str, Any]:
    files = {"file": ("porch.png", png(), "image/png")}
    return dict(ok(api.post("/api/v2/media", files=files, data=data)))


def client(server: Running, token: str | None = None) -> httpx.Client:
    """A fresh client (a 500 makes the server drop the connection it came on)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.base, headers=headers, timeout=30)


def post_json(api: httpx.Client, method: str, path: str, body: str) -> httpx.Response:
    """Send `body` as it is, as JSON (json.dumps escapes what httpx would refuse to send)."""
    return api.request(method, path, content=body, headers={"Content-Type": "application/json"})


def exchange(server: Running, client_id: str, secret: str, code: str) -> dict[str, Any]:
    return dict(
        ok(
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
    )


def scoped_token(server: Running, username: str, scope: str) -> str:
    """A token for `username` with only `scope`, through the code flow."""
    client_id, secret = server.register_app()
    code = server.authorize(username, client_id, scope=scope)
    issued = exchange(server, client_id, secret, code)
    assert issued["scope"] == scope
    return str(issued["access_token"])


def my_id(api: httpx.Client) -> str:
    return str(ok(api.get("/api/v1/accounts/verify_credentials"))["id"])


def nothing_posted(server: Running, name: str) -> None:
    """No post of `name`'s is waiting to go out, and none is on their profile or home."""
    assert server.publish_due(60) == 0
    with client(server, server.token(name)) as api:
        assert ok(api.get(f"/api/v1/accounts/{my_id(api)}/statuses")) == []
        assert ok(api.get("/api/v1/timelines/home")) == []


# --- Tokens and scopes ----------------------------------------------------------------------


def test_without_a_valid_token_the_home_timeline_is_401(server: Running) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YW5hOnB3"},
    ):
        response = httpx.get(server.base + "/api/v1/timelines/home", headers=headers)
        refused(response, 401, headers)
    wrong = httpx.get(server.base + "/api/v1/timelines/home", params={"access_token": "nope"})
    refused(wrong, 401)


def test_without_a_valid_token_posting_is_401_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = httpx.post(
            server.base + "/api/v1/statuses", data={"status": "Hello"}, headers=headers
        )
        refused(response, 401, headers)
    nothing_posted(server, "ana")


def test_a_read_only_token_cannot_post_and_nothing_is_posted(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "read")) as reader:
        ok(reader.get("/api/v1/timelines/home"))
        refused(reader.post("/api/v1/statuses", data={"status": "Hello"}), 403)
        refused(reader.post("/api/v1/statuses", json={"status": "Hello"}), 403)
        refused(reader.post("/api/v1/lists", data={"title": "Tea"}), 403)
        # Only the built-in Conversations list: no list was made.
        assert [x["id"] for x in ok(reader.get("/api/v1/lists"))] == ["conversations"]
    nothing_posted(server, "ana")


def test_a_statuses_only_token_cannot_read_notifications(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "read:statuses")) as reader:
        ok(reader.get("/api/v1/timelines/home"))
        refused(reader.get("/api/v1/notifications"), 403)
        refused(reader.get("/api/v1/notifications/unread_count"), 403)
        refused(reader.post("/api/v1/statuses", data={"status": "Hello"}), 403)
    nothing_posted(server, "ana")


def test_a_granular_write_statuses_token_may_post_and_nothing_else(server: Running) -> None:
    server.member("ana")
    with client(server, scoped_token(server, "ana", "write:statuses")) as writer:
        posted = ok(writer.post("/api/v1/statuses", data={"status": "Granular hello"}))
        assert posted["content"] == "<p>Granular hello</p>"
        refused(writer.get("/api/v1/timelines/home"), 403)
        refused(writer.post("/api/v1/lists", data={"title": "Tea"}), 403)
    assert server.publish_due(31) == 1


def test_a_revoked_token_is_401_afterwards(server: Running) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    issued = exchange(server, client_id, secret, server.authorize("ana", client_id))
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
    issued = exchange(server, client_id, secret, server.authorize("ana", client_id))
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
    path = f"/api/v1/statuses/{anas_post['id']}"
    with server.api("ben") as ben:
        refused(ben.put(path, data={"status": "Tea at six"}), 404)
        refused(ben.put(path, json={"status": "Tea at six", "media_ids": []}), 404)
        refused(ben.get(path + "/source"), 404)
        seen = ok(ben.get(path))
        assert seen["content"] == "<p>Tea at five</p>"
        assert seen["edited_at"] is None
        assert [v["content"] for v in ok(ben.get(path + "/history"))] == ["<p>Tea at five</p>"]


def test_deleting_someone_elses_post_is_404_and_it_stays(
    server: Running, anas_post: dict[str, Any]
) -> None:
    path = f"/api/v1/statuses/{anas_post['id']}"
    with server.api("ben") as ben:
        refused(ben.delete(path), 404)
        refused(ben.post(path + "/pin"), 404)
        refused(ben.post(path + "/unpin"), 404)
        assert ok(ben.get(path))["content"] == "<p>Tea at five</p>"
    with server.api("ana") as ana:
        assert [s["id"] for s in ok(ana.get("/api/v1/timelines/home"))] == [anas_post["id"]]


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
        reply = {"status": "Hm", "in_reply_to_id": post["id"]}
        refused(ben.post("/api/v1/statuses", data=reply), 404)
    assert server.publish_due(31) == 1
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

#: Posts Porch refuses with 422, as a form would send them.
INVALID_FORMS: list[dict[str, Any]] = [
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
]
#: And as JSON.
INVALID_JSON: list[dict[str, Any]] = [
    {"status": ""},
    {"status": "a" * 501},
    {"status": "Hi", "visibility": "everyone"},
    {"status": "Hi", "visibility": 3},
    {"status": "Hi", "language": "not a language!"},
    {"status": "Hi", "media_ids": ["abc"]},
    {"status": "Hi", "media_ids": [-1]},
    {"status": "Hi", "media_ids": ["1", "2", "3", "4", "5"]},
    {"status": "Hi", "poll": {"options": ["Tea", "Coffee"], "expires_in": 3600}},
    {"status": "Hi", "scheduled_at": "2030-01-01T10:00:00Z"},
    {"status": ["Hi", "there"]},
]


def test_a_post_with_invalid_parameters_is_422_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for body in INVALID_FORMS:
            refused(ana.post("/api/v1/statuses", data=body), 422, body)
        for body in INVALID_JSON:
            refused(ana.post("/api/v1/statuses", json=body), 422, body)
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
            refused(response, 400, body)
    nothing_posted(server, "ana")


def test_a_json_body_that_is_not_an_object_is_422_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for body in ("[]", '["status", "Hi"]', '[{"status": "Hi"}]', '"Hi"', "42", "null"):
            refused(post_json(ana, "POST", "/api/v1/statuses", body), 422, body)
    nothing_posted(server, "ana")


def test_a_deeply_nested_json_body_is_refused_not_a_crash(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        body = '{"status": ' + "[" * 50_000 + "]" * 50_000 + "}"
        response = post_json(ana, "POST", "/api/v1/statuses", body)
        assert response.status_code in (400, 422), (response.status_code, response.text)
        refused(response, response.status_code)
    nothing_posted(server, "ana")


def test_a_json_body_nested_hundreds_of_levels_is_read_all_the_same(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        body = '{"status": "Hi", "x": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}"
        assert ok(post_json(ana, "POST", "/api/v1/statuses", body))["content"] == "<p>Hi</p>"


def test_someone_elses_upload_cannot_be_attached_and_stays_theirs(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ben") as ben:
        bens = upload(ben)["id"]
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
        ids = [upload(ana)["id"] for _ in range(5)]
        refused(ana.post("/api/v1/statuses", json={"status": "Five", "media_ids": ids}), 422)
        nothing_posted(server, "ana")
        posted = ok(ana.post("/api/v1/statuses", json={"status": "Four", "media_ids": ids[:4]}))
        assert [m["id"] for m in posted["media_attachments"]] == ids[:4]


def test_editing_with_invalid_parameters_is_422_and_the_post_stays(
    server: Running, anas_post: dict[str, Any]
) -> None:
    path = f"/api/v1/statuses/{anas_post['id']}"
    with server.api("ana") as ana:
        for body in INVALID_JSON:
            if body.get("visibility") is None and body.get("scheduled_at") is None:
                refused(ana.put(path, json=body), 422, body)
        for body in INVALID_FORMS[:4]:
            refused(ana.put(path, data=body), 422, body)
        seen = ok(ana.get(path))
        assert seen["content"] == "<p>Tea at five</p>"
        assert seen["edited_at"] is None
        assert len(ok(ana.get(path + "/history"))) == 1


def test_a_focus_out_of_range_is_422_and_the_media_keeps_its_focus(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        media = upload(ana, description="Before", focus="0.1,0.2")
        path = f"/api/v1/media/{media['id']}"
        for focus in ("3,3", "0.5", "a,b", "0.5,0.5,0.5", "nan,0", "inf,0", ",", "1,-1.01"):
            refused(ana.put(path, data={"focus": focus, "description": "After"}), 422, focus)
        seen = ok(ana.get(path))
        assert seen["meta"]["focus"] == {"x": 0.1, "y": 0.2}
        assert seen["description"] == "Before"


def test_a_list_with_invalid_parameters_is_422_and_none_is_made(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for body in (
            {"title": ""},
            {"title": "   "},
            {},
            {"title": "x" * 1000},
            {"title": "Tea", "replies_policy": "everyone"},
            {"title": "Tea", "exclusive": "maybe"},
        ):
            refused(ana.post("/api/v1/lists", data=body), 422, body)
            refused(ana.post("/api/v1/lists", json=body), 422, body)
        assert [x["id"] for x in ok(ana.get("/api/v1/lists"))] == ["conversations"]
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea people"}))
        refused(ana.put(f"/api/v1/lists/{made['id']}", data={"title": ""}), 422)
        refused(ana.put(f"/api/v1/lists/{made['id']}", json={"replies_policy": "x"}), 422)
        assert ok(ana.get(f"/api/v1/lists/{made['id']}")) == made


def test_a_profile_with_invalid_parameters_is_422_and_stays_as_it_was(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        before = ok(ana.get("/api/v1/accounts/verify_credentials"))
        path = "/api/v1/accounts/update_credentials"
        for body in (
            {"display_name": "x" * 1000},
            {"note": "x" * 100_000},
            {"locked": "perhaps"},
            {"display_name": "Ana", "note": "x" * 100_000},
            {f"fields_attributes[{i}][name]": f"n{i}" for i in range(10)},
            {"fields_attributes[0][name]": "", "fields_attributes[0][value]": "no name"},
        ):
            refused(ana.patch(path, data=body), 422, body)
        after = ok(ana.get("/api/v1/accounts/verify_credentials"))
        for name in ("display_name", "note", "locked", "fields"):
            assert after[name] == before[name]


# --- Unknown ids and paths --------------------------------------------------------------

UNKNOWN_PATHS = [
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
]


def test_an_unknown_id_is_404(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for path in UNKNOWN_PATHS:
            refused(ana.get(path), 404)


def test_changing_something_unknown_is_404_and_changes_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for method, path in (
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
        ):
            refused(ana.request(method, path, data={"status": "x", "title": "x"}), 404)
        assert ok(ana.get("/api/v1/favourites")) == []
        assert [x["id"] for x in ok(ana.get("/api/v1/lists"))] == ["conversations"]
    nothing_posted(server, "ana")


def test_replying_to_an_unknown_post_is_404_and_posts_nothing(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for target in ("999999", "abc", "-1", "99999999999999999999999"):
            response = ana.post("/api/v1/statuses", data={"status": "Hm", "in_reply_to_id": target})
            refused(response, 404, target)
    nothing_posted(server, "ana")


def test_an_id_of_unicode_digits_is_an_unknown_record(server: Running) -> None:
    server.member("ana")
    token = server.token("ana")
    for raw in ("²", "¹²³", "①"):
        for path in (f"/api/v1/statuses/{raw}", f"/api/v1/accounts/{raw}", f"/api/v1/lists/{raw}"):
            with client(server, token) as ana:
                refused(ana.get(path), 404)


def test_id_parameters_of_unicode_digits_are_not_a_crash(server: Running) -> None:
    server.member("ana")
    token = server.token("ana")
    for method, path, params in (
        ("GET", "/api/v1/timelines/home", {"max_id": "²"}),
        ("GET", "/api/v1/timelines/public", {"since_id": "²"}),
        ("POST", "/api/v1/statuses", {"status": "Hi", "media_ids[]": "²"}),
        ("POST", "/api/v1/statuses", {"status": "Hi", "in_reply_to_id": "²"}),
        ("GET", "/api/v1/accounts/relationships", {"id[]": "²"}),
        ("GET", "/api/v1/notifications", {"account_id": "²"}),
        ("POST", "/api/v1/lists/1/accounts", {"account_ids[]": "²"}),
    ):
        with client(server, token) as ana:
            if method == "GET":
                not_a_crash(ana.get(path, params=params), params)
            else:
                not_a_crash(ana.post(path, data=params), params)
    nothing_posted(server, "ana")


def test_an_id_too_big_for_the_database_is_an_unknown_record(
    server: Running, request: pytest.FixtureRequest
) -> None:
    server.member("ana")
    token = server.token("ana")
    for big in BIG_IDS:
        for method, path in (
            ("GET", f"/api/v1/accounts/{big}"),
            ("GET", f"/api/v1/accounts/{big}/statuses"),
            ("GET", f"/api/v1/accounts/{big}/lists"),
            ("POST", f"/api/v1/accounts/{big}/follow"),
            ("POST", f"/api/v1/follow_requests/{big}/authorize"),
            ("GET", f"/api/v1/media/{big}"),
            ("PUT", f"/api/v1/media/{big}"),
            ("GET", f"/api/v1/lists/{big}"),
            ("GET", f"/api/v1/timelines/list/{big}"),
            ("GET", f"/api/v1/notifications/{big}"),
            ("POST", f"/api/v1/notifications/{big}/dismiss"),
        ):
            with client(server, token) as ana:
                refused(ana.request(method, path), 404)


def test_id_parameters_too_big_for_the_database_are_refused_not_a_crash(
    server: Running, request: pytest.FixtureRequest
) -> None:
    server.member("ana")
    token = server.token("ana")
    for big in BIG_IDS:
        for method, path, params in (
            ("POST", "/api/v1/statuses", {"status": "Hi", "media_ids[]": big}),
            ("GET", "/api/v1/accounts/relationships", {"id[]": big}),
            ("GET", "/api/v1/notifications", {"account_id": big}),
            ("POST", "/api/v1/lists", {"title": "Tea"}),
            ("POST", "/api/v1/lists/1/accounts", {"account_ids[]": big}),
        ):
            with client(server, token) as ana:
                if method == "GET":
                    not_a_crash(ana.get(path, params=params), params)
                else:
                    not_a_crash(ana.post(path, data=params), params)
    nothing_posted(server, "ana")


def test_paging_from_an_id_porch_never_gave_is_not_a_crash(
    server: Running, request: pytest.FixtureRequest
) -> None:
    ana_id = server.member("ana")
    token = server.token("ana")
    with client(server, token) as ana:
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea"}))
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/notifications",
        f"/api/v1/accounts/{ana_id}/followers",
        f"/api/v1/accounts/{ana_id}/following",
        "/api/v1/favourites",
        "/api/v1/bookmarks",
        "/api/v1/blocks",
        "/api/v1/mutes",
        "/api/v1/follow_requests",
        f"/api/v1/lists/{made['id']}/accounts",
    ):
        for params in ({"max_id": "abc"}, {"max_id": BIG_IDS[0]}, {"min_id": BIG_IDS[1]}):
            with client(server, token) as ana:
                assert ok(ana.get(path, params=params)) == [], (path, params)


def test_a_mute_for_longer_than_time_itself_is_refused_not_a_crash(server: Running) -> None:
    server.member("ana")
    ben_id = server.member("ben")
    with server.api("ana") as ana:
        refused(
            ana.post(f"/api/v1/accounts/{ben_id}/mute", data={"duration": "99999999999999"}), 422
        )
    with server.api("ana") as ana:
        assert ok(ana.get("/api/v1/mutes")) == []


def test_an_unknown_api_path_is_a_json_404(server: Running) -> None:
    server.member("ana")
    for name in (None, "ana"):
        with server.api(name) as api:
            for path in (
                "/api/v1/nothing",
                "/api/v1/statuses/1/nothing",
                "/api/v2/timelines/home",
                "/api/v1/",
                "/api/v3/instance",
                "/api/v1/admin/accounts",
            ):
                response = api.get(path, headers={"Accept": "text/html"})
                refused(response, 404, name)
                assert response.headers["content-type"].startswith("application/json")


def test_a_known_api_path_with_the_wrong_method_is_a_json_405(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.delete("/api/v1/timelines/home"), 405)
        refused(ana.post("/api/v1/accounts/verify_credentials"), 405)
        refused(ana.patch("/api/v1/statuses", json={"status": "Hi"}), 405)
    nothing_posted(server, "ana")


# --- OAuth --------------------------------------------------------------------------------


def test_a_token_request_with_a_wrong_client_secret_is_401_invalid_client(
    server: Running,
) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": "not-the-secret",
        "redirect_uri": REDIRECT,
    }
    for attempt in (
        form,
        {**form, "client_id": "nobody"},
        {**form, "client_secret": ""},
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
    ):
        response = httpx.post(server.base + "/oauth/token", data=attempt)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
    # Nobody without the secret used the code up.
    assert exchange(server, client_id, secret, code)["access_token"]


def test_an_unknown_grant_type_is_400_unsupported_grant_type(server: Running) -> None:
    client_id, secret = server.register_app()
    for grant_type in ("password", "refresh_token", "", "implicit"):
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
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "unsupported_grant_type"


def test_a_token_request_that_is_not_json_or_has_a_wrong_code_is_400(server: Running) -> None:
    response = httpx.post(
        server.base + "/oauth/token",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    client_id, secret = server.register_app()
    wrong = httpx.post(
        server.base + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": "made-up",
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
        },
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_a_bad_authorization_request_shows_a_400_page_and_never_redirects(
    server: Running,
) -> None:
    server.member("ana")
    registered = ok(
        httpx.post(
            server.base + "/api/v1/apps",
            data={"client_name": "Reader", "redirect_uris": REDIRECT, "scopes": "read"},
        )
    )
    good = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "read",
        "state": "xyz",
    }
    browser = server.browser("ana")
    try:
        for changes in (
            {"redirect_uri": "https://evil.example/callback"},
            {"redirect_uri": REDIRECT + "/more"},
            {"redirect_uri": ""},
            {"redirect_uri": OOB},
            {"client_id": "no-such-app"},
            {"client_id": ""},
            {"scope": "read admin:write"},
            {"scope": "read write"},
            {"scope": "write:statuses"},
            {"response_type": "token"},
            {"code_challenge": "short", "code_challenge_method": "S256"},
            {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        ):
            query = {**good, **changes}
            page = browser.get("/oauth/authorize", params=query)
            assert page.status_code == 400, (changes, page.status_code, page.text)
            assert "location" not in page.headers, changes
            assert "text/html" in page.headers["content-type"]
            assert "evil.example" not in page.text
            # The consent form, posted anyway, is refused the same way: no code, no redirect.
            answer = browser.post(
                "/oauth/authorize",
                data={**query, "decision": "allow", "csrf_token": csrf(page.text)},
            )
            assert answer.status_code == 400, (changes, answer.status_code, answer.text)
            assert "location" not in answer.headers, changes
        # The same app asking properly is shown the consent page.
        assert browser.get("/oauth/authorize", params=good).status_code == 200
    finally:
        browser.close()


def test_registering_an_app_with_invalid_parameters_is_422(server: Running) -> None:
    for body in (
        {"redirect_uris": REDIRECT},
        {"client_name": "", "redirect_uris": REDIRECT},
        {"client_name": "   ", "redirect_uris": REDIRECT},
        {"client_name": "x" * 201, "redirect_uris": REDIRECT},
        {"client_name": "App"},
        {"client_name": "App", "redirect_uris": ""},
        {"client_name": "App", "redirect_uris": "not a uri"},
        {"client_name": "App", "redirect_uris": "https://app.example/cb#fragment"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "read admin:everything"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "everything"},
        {"client_name": "App", "redirect_uris": REDIRECT, "scopes": "read:everything"},
    ):
        refused(httpx.post(server.base + "/api/v1/apps", data=body), 422, body)
        refused(httpx.post(server.base + "/api/v1/apps", json=body), 422, body)
        refused(httpx.post(server.base + "/api/v1/apps", params=body), 422, body)


# --- Media ----------------------------------------------------------------------------------


def test_an_upload_that_is_not_an_image_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        for content, kind in (
            (bytes(range(256)) * 8, "image/png"),
            (b"GIF89a" + b"\x00" * 40, "image/gif"),
            (b"%PDF-1.4\n" + b"x" * 200, "application/pdf"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ):
            for path in ("/api/v2/media", "/api/v1/media"):
                response = ana.post(path, files={"file": ("file.png", content, kind)})
                refused(response, 422, content[:10])
        refused(ana.post("/api/v1/statuses", json={"status": "x", "media_ids": ["1"]}), 422)
    nothing_posted(server, "ana")


def test_an_empty_upload_or_none_at_all_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        refused(ana.post("/api/v2/media", files={"file": ("empty.png", b"", "image/png")}), 422)
        refused(ana.post("/api/v2/media", data={"file": "not a file"}), 422)
        refused(ana.post("/api/v2/media", json={"file": "not a file"}), 422)
        refused(ana.post("/api/v2/media"), 422)
        refused(ana.get("/api/v1/media/1"), 404)


def test_a_file_where_text_belongs_is_422(server: Running) -> None:
    server.member("ana")
    with server.api("ana") as ana:
        response = ana.post(
            "/api/v1/statuses", files={"status": ("status.txt", b"Hello", "text/plain")}
        )
        refused(response, 422)
    nothing_posted(server, "ana")


# --- Text the database cannot store ---------------------------------------------------------


def text_requests(server: Running, text: str) -> list[tuple[str, str, str, bool]]:
    """Requests that put `text` where Porch stores or looks up text: (method, path, JSON
    body or query, signed in)."""
    with server.api("ana") as ana:
        media = upload(ana)
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea"}))

    def body(**values: str) -> str:
        return json.dumps(values)  # ASCII, with \\u escapes: valid JSON whatever the text

    return [
        ("POST", "/api/v1/statuses", body(status=text), True),
        ("POST", "/api/v1/statuses", body(status="Hi", spoiler_text=text), True),
        ("POST", "/api/v1/lists", body(title=text), True),
        ("PUT", f"/api/v1/lists/{made['id']}", body(title=text), True),
        ("PUT", f"/api/v1/media/{media['id']}", body(description=text), True),
        ("PATCH", "/api/v1/accounts/update_credentials", body(display_name=text), True),
        ("PATCH", "/api/v1/accounts/update_credentials", body(note=text), True),
        ("POST", "/api/v1/apps", body(client_name=text, redirect_uris=OOB), False),
        (
            "POST",
            "/oauth/token",
            body(grant_type="client_credentials", client_id=text, client_secret="x"),
            False,
        ),
    ]


def check_text_is_not_a_crash(server: Running, text: str) -> None:
    token = server.token("ana")
    for method, path, body, signed_in in text_requests(server, text):
        with client(server, token if signed_in else None) as api:
            not_a_crash(post_json(api, method, path, body), body)
    with client(server, token) as ana:
        ok(ana.get("/api/v1/accounts/verify_credentials"))


def test_a_nul_character_is_refused_or_stored_not_a_crash(
    server: Running, request: pytest.FixtureRequest
) -> None:
    server.member("ana")
    check_text_is_not_a_crash(server, "Tea\x00at five")


def test_a_nul_character_in_a_search_or_lookup_is_not_a_crash(
    server: Running, request: pytest.FixtureRequest
) -> None:
    server.member("ana")
    token = server.token("ana")
    for path, params in (
        ("/api/v2/search", {"q": "a\x00b"}),
        ("/api/v1/accounts/search", {"q": "a\x00b"}),
        ("/api/v1/accounts/lookup", {"acct": "a\x00b"}),
        ("/api/v1/timelines/tag/a%00b", {}),
    ):
        with client(server, token) as ana:
            not_a_crash(ana.get(path, params=params), path)


def test_a_lone_surrogate_is_refused_not_a_crash(server: Running) -> None:
    server.member("ana")
    check_text_is_not_a_crash(server, "Tea \udcff at five")


def test_a_lone_surrogate_in_a_profile_field_does_not_break_the_account(
    server: Running,
) -> None:
    server.member("ana")
    token = server.token("ana")
    body = json.dumps({"fields_attributes": [{"name": "Tea \udcff", "value": "five"}]})
    with client(server, token) as ana:
        changed = settled(post_json(ana, "PATCH", "/api/v1/accounts/update_credentials", body))
    # Whatever the answer to the bad field, Ana's account goes on working.
    with client(server, token) as ana:
        ok(ana.get("/api/v1/accounts/verify_credentials"))
    with client(server, token) as ana:
        ok(ana.post("/api/v1/statuses", data={"status": "Still me"}))
    not_a_crash(changed)


def test_a_reading_position_in_other_digits_is_refused_with_a_message(server: Running) -> None:
    server.member("ana")
    with client(server, server.token("ana")) as ana:
        message = refused(ana.post("/api/v1/markers", data={"home[last_read_id]": "²"}), 422)
        assert "last_read_id" in message
        assert ok(ana.get("/api/v1/markers", params={"timeline[]": "home"})) == {}
