"""First checks: the app starts and serves its home page."""

from __future__ import annotations

from tests.conftest import Person, publish_due


async def test_visitor_sees_the_welcome_page(visitor) -> None:
    response = await visitor.get("/")
    assert response.status_code == 200
    assert "slower, kinder conversation" in response.text


async def test_member_posts_and_it_publishes_after_the_pause(app, clock, people) -> None:
    ana: Person = people["ana"]
    post_id = await ana.post("Hello, porch!")
    assert await publish_due(app, clock, 29) == 0
    assert await publish_due(app, clock, 2) == 1
    page = await people["ben"].client.get(f"/@ana/{post_id}")
    assert page.status_code == 200
    assert "Hello, porch!" in page.text


async def test_health_check_reaches_the_database(visitor) -> None:
    response = await visitor.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
