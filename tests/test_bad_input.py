"""Bad input gets a clear message, keeps what was typed, and never a 500."""

from __future__ import annotations

from urllib.parse import quote

from sqlmodel import func, select

from server.models import Actor, Draft, Post
from tests.conftest import csrf_from, publish_due


async def count_posts(app) -> int:
    async with app.state.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(Post))).one())


async def test_an_over_long_post_is_refused_and_the_text_kept(app, people) -> None:
    ana = people["ana"]
    text = "a" * 501
    response = await ana.client.post(
        "/posts", data={"text": text, "visibility": "public", "csrf_token": await ana.token()}
    )
    assert response.status_code == 422
    assert "at most 500 characters; this one is 1 over" in response.text
    assert text in response.text
    assert await count_posts(app) == 0


async def test_an_empty_post_is_refused(app, people) -> None:
    ana = people["ana"]
    response = await ana.client.post(
        "/posts", data={"text": "   \n ", "visibility": "public", "csrf_token": await ana.token()}
    )
    assert response.status_code == 422
    assert "Write something before posting." in response.text


async def test_an_unknown_visibility_is_refused(app, people) -> None:
    ana = people["ana"]
    response = await ana.client.post(
        "/posts", data={"text": "hi", "visibility": "everyone", "csrf_token": await ana.token()}
    )
    assert response.status_code == 422
    assert "is not a visibility Porch knows" in response.text


async def test_replying_to_a_missing_post_is_a_clear_404(app, people) -> None:
    ana = people["ana"]
    response = await ana.client.post(
        "/posts",
        data={"text": "hi", "in_reply_to_id": "12345", "csrf_token": await ana.token()},
    )
    assert response.status_code == 404
    assert "does not exist, or you cannot see it" in response.text


async def test_an_oversized_body_is_refused_with_413(app, people) -> None:
    ana = people["ana"]
    token = await ana.token()
    response = await ana.client.post("/posts", data={"text": "x" * 2_000_000, "csrf_token": token})
    assert response.status_code == 413
    assert "too large" in response.text
    assert await count_posts(app) == 0
    # The next ordinary request works as usual.
    assert (await ana.client.get("/")).status_code == 200


async def test_an_oversized_upload_is_refused_with_413(app, people) -> None:
    ana = people["ana"]
    token = await ana.token("/settings/profile")
    response = await ana.client.post(
        "/settings/profile",
        data={"display_name": "Ana", "bio": "", "csrf_token": token},
        files={"avatar": ("big.png", b"\x89PNG" + b"0" * 9_000_000, "image/png")},
    )
    assert response.status_code == 413


async def test_a_file_that_is_not_an_image_is_refused_as_avatar(app, people) -> None:
    ana = people["ana"]
    token = await ana.token("/settings/profile")
    response = await ana.client.post(
        "/settings/profile",
        data={"display_name": "Ana B.", "bio": "hello", "csrf_token": token},
        files={"avatar": ("notes.png", b"this is not a picture", "image/png")},
    )
    assert response.status_code == 422
    assert "not an image Porch can read" in response.text
    assert 'value="Ana B."' in response.text


async def test_unknown_pages_get_a_real_404_page(app, visitor) -> None:
    for path in ("/nowhere", "/@nobody", "/@nobody/123", "/@ana/notanumber", "/posts/99/edit"):
        response = await visitor.get(path, headers={"accept": "text/html"})
        assert response.status_code in (404, 303), path
        if response.status_code == 404:
            assert "There is" in response.text or "does not exist" in response.text, path
            assert "<html" in response.text


async def test_malformed_paging_is_a_400_with_a_message(app, visitor) -> None:
    response = await visitor.get("/local?max_id=abc")
    assert response.status_code == 400
    assert "must be a number" in response.text


async def test_a_wrong_method_is_405_not_500(app, people) -> None:
    response = await people["ana"].client.delete("/posts")
    assert response.status_code == 405


async def test_visitors_are_sent_to_log_in_for_member_pages(app, visitor) -> None:
    response = await visitor.get("/compose")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/compose")
    token = await csrf_from(visitor, "/login")
    refused = await visitor.post("/posts", data={"text": "hi", "csrf_token": token})
    assert refused.status_code == 401


async def test_a_404_keeps_the_members_navigation(app, people) -> None:
    response = await people["ana"].client.get("/nowhere")
    assert response.status_code == 404
    assert 'href="/@ana"' in response.text
    assert "Log in" not in response.text


# --- Control characters: cleaned from forms, refused in addresses ----------------------------


async def stored_texts(app) -> list[str]:
    """Every text a member can type into a page, as stored."""
    async with app.state.sessions() as session:
        found: list[str] = []
        for post in (await session.exec(select(Post))).all():
            found += [post.text, post.spoiler_text]
        for draft in (await session.exec(select(Draft))).all():
            found += [draft.text, draft.spoiler_text]
        for actor in (await session.exec(select(Actor))).all():
            found += [actor.username, actor.display_name, actor.bio, actor.interaction_note or ""]
        return found


async def test_control_characters_typed_into_pages_are_cleaned_before_storing(
    app, people, visitor
) -> None:
    ana = people["ana"]
    posted = await ana.client.post(
        "/posts",
        data={
            "text": "Tea\x00 at\x07 five,\r\n\tby the door",
            "spoiler_text": "tea\x00",
            "visibility": "public",
            "csrf_token": await ana.token(),
        },
    )
    assert posted.status_code == 303, posted.text
    kept = await ana.client.post(
        "/drafts",
        data={
            "text": "Half a\x00 thought",
            "visibility": "public",
            "csrf_token": await ana.token(),
        },
    )
    assert kept.status_code == 303, kept.text
    profile = await ana.client.post(
        "/settings/profile",
        data={
            "display_name": "Ana\x00 Lima",
            "bio": "Gardener\x1b[31m",
            "interaction_note": "Kind\x00 words",
            "csrf_token": await ana.token("/settings/profile"),
        },
    )
    assert profile.status_code == 303, profile.text
    signed_up = await visitor.post(
        "/signup",
        data={
            "username": "dan\x00",
            "email": "dan@example.com",
            "password": "correct horse battery",
            "csrf_token": await csrf_from(visitor, "/signup"),
        },
    )
    assert signed_up.status_code == 303, signed_up.text

    texts = await stored_texts(app)
    assert "Tea at five,\n\tby the door" in texts  # tabs and line breaks are text
    assert {"tea", "Half a thought", "Ana Lima", "Gardener[31m", "Kind words", "dan"} <= set(texts)
    assert not [t for t in texts if any(ord(c) < 32 and c not in "\t\r\n" for c in t)]


async def test_a_control_character_in_an_address_is_a_400_with_a_message(
    app, people, visitor
) -> None:
    ana = people["ana"]
    for path in (
        "/search?q=a%00b",
        "/tags/tea%00",
        "/@ana%00",
        "/@ana%00/followers",
        "/@ana/1%00",
        "/local?max_id=1%00",
        "/users/ana%00",
        "/users/ana/outbox?page=true&max_id=1%01",
        "/.well-known/webfinger?resource=acct:ana%00@localhost:8000",
        "/api/v1/timelines/tag/tea%00",
        "/api/v1/accounts/lookup?acct=ana%00",
        "/api/v1/streaming/hashtag?tag=tea%00",
    ):
        page = await ana.client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 400, (path, page.status_code)
        assert "control character" in page.text, path
        answer = await visitor.get(path, headers={"accept": "application/json"})
        assert answer.status_code == 400, (path, answer.status_code)
        assert "control character" in answer.json()["error"], path


async def test_webfinger_refuses_a_nul_that_comes_back_from_a_second_decoding(
    app, people, visitor
) -> None:
    # %2500 is a literal "%00" once the query is read, and username_for decodes again.
    response = await visitor.get("/.well-known/webfinger?resource=acct:ana%2500@localhost:8000")
    assert response.status_code == 400
    assert "control character" in response.json()["error"]
    found = await visitor.get("/.well-known/webfinger?resource=acct:ana%40localhost:8000")
    assert found.status_code == 200


async def test_ids_in_addresses_and_forms_must_be_ascii_digits(app, people) -> None:
    ana = people["ana"]
    # "²" is a digit to str.isdigit() but not to int().
    assert (await ana.client.get("/local?max_id=²")).status_code == 400
    assert (await ana.client.get("/@ana/²")).status_code == 404
    response = await ana.client.post(
        "/posts",
        data={"text": "hi", "in_reply_to_id": "²", "csrf_token": await ana.token()},
    )
    assert response.status_code == 422
    response = await ana.client.post(
        "/posts",
        data={"text": "hi", "in_reply_to_id": "9" * 20, "csrf_token": await ana.token()},
    )
    assert response.status_code in (404, 422)
    outbox = await ana.client.get(
        "/users/ana/outbox?page=true&max_id=²", headers={"accept": "application/activity+json"}
    )
    assert outbox.status_code == 400
    assert "max_id" in outbox.json()["error"]
    assert await count_posts(app) == 0


#: Ids no Porch door reads as ids (server/ids.py): they name nothing.
NOT_IDS = ("²", "١٢", "-1", " 1", "1_0", "99999999999999999999", "9" * 5000)
HTML, AS2, JSON = "text/html", "application/activity+json", "application/json"


async def test_an_id_porch_never_makes_is_a_4xx_or_an_empty_page_at_every_door(
    app, people, visitor, clock
) -> None:
    # Ana has a published post, so a page that ignored the bad id would show it. Her
    # home is in Latest order, which pages by max_id (Conversations pages by snapshot).
    ana = people["ana"]
    await ana.post("Tea at five by the door")
    await publish_due(app, clock, 30)
    token = await ana.token()
    moved = await ana.client.post("/home/order", data={"order": "latest", "csrf_token": token})
    assert moved.status_code == 303
    for raw in NOT_IDS:
        q = quote(raw)
        for path, accept in (
            (f"/@ana/{q}", HTML),
            (f"/?max_id={q}", HTML),
            (f"/local?max_id={q}", HTML),
            (f"/tags/tea?max_id={q}", HTML),
            (f"/@ana?max_id={q}", HTML),
            (f"/@ana/followers?max_id={q}", HTML),
            (f"/notifications?max_id={q}", HTML),
            (f"/go?from={q}&url=https://tea.example", HTML),
            (f"/api/v1/timelines/public?max_id={q}", JSON),
            (f"/api/v1/statuses/{q}", JSON),
            (f"/api/v1/accounts/{q}", JSON),
            (f"/users/ana/outbox?page=true&max_id={q}", AS2),
            (f"/users/ana/followers?page=1&max_id={q}", AS2),
            (f"/users/ana/statuses/{q}", AS2),
            (f"/@ana/{q}", AS2),
        ):
            for client in (ana.client, visitor):
                response = await client.get(path, headers={"accept": accept})
                status = response.status_code
                assert status < 500, (path, status)
                assert status >= 300 or "Tea at five" not in response.text, (path, status)


async def test_an_id_too_big_for_its_table_is_not_a_crash(app, people) -> None:
    # Sessions, apps, drafts, people and cards are numbered by 32-bit serials on
    # PostgreSQL, which refuses to even compare them with a larger number.
    ana = people["ana"]
    big = str(2**31)
    token = await ana.token()
    for path in (
        f"/settings/sessions/{big}/end",
        f"/settings/apps/{big}/revoke",
        f"/follow_requests/{big}/accept",
        f"/drafts/{big}/discard",
        f"/cards/{big}/didnt_fit",
    ):
        response = await ana.client.post(path, data={"csrf_token": token})
        assert response.status_code in (303, 404), (path, response.status_code)
    for path in (f"/compose?draft={big}", f"/?snapshot={big}&offset=20"):
        response = await ana.client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)
    posted = await ana.client.post(
        "/posts",
        data={
            "text": "Tea?",
            "draft_id": big,
            "media_listed": "1",
            "media_ids": big,
            "nudge_id": big,
            "csrf_token": token,
        },
    )
    assert posted.status_code == 303, posted.text
    assert await count_posts(app) == 1
    assert (await ana.client.get("/settings/sessions")).status_code == 200  # still signed in


async def test_ending_an_app_or_a_session_with_a_non_ascii_digit_is_not_a_crash(
    app, people
) -> None:
    ana = people["ana"]
    token = await ana.token("/settings/profile")
    response = await ana.client.post("/settings/apps/²/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    response = await ana.client.post("/settings/sessions/²/end", data={"csrf_token": token})
    assert response.status_code == 303
    assert (await ana.client.get("/settings/sessions")).status_code == 200  # still signed in


def test_non_ascii_digits_from_other_servers_are_not_numbers() -> None:
    from federation.fetch import _retry_after
    from server.urls import Urls

    assert _retry_after("²") is None
    urls = Urls("https://porch.example")
    assert urls.activity_token_of(urls.activity("follow", "²"), "follow") is None


async def test_a_streaming_socket_whose_address_holds_a_control_character_is_refused(
    settings,
) -> None:
    from server.app import create_app

    # The address is refused before any route, so the app needs no database here.
    app = create_app(settings, apply_migrations=False, run_jobs=False)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/api/v1/streaming",
        "raw_path": b"/api/v1/streaming",
        "query_string": b"stream=hashtag&tag=tea%00",
        "headers": [],
        "scheme": "ws",
        "server": ("localhost", 8000),
    }
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1008
