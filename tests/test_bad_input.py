"""Bad input gets a clear message, keeps what was typed, and never a 500."""

from __future__ import annotations

from sqlmodel import func, select

from server.models import Post
from tests.conftest import csrf_from


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
