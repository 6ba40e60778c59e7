"""Logged-out visitors may be served a page a couple of seconds old; members never are."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from tests.conftest import Person, client_for, csrf_from, publish_due


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    cached = settings.model_copy(update={"public_cache_seconds": 2, "pause_post_seconds": 0})
    application = create_app(cached, clock=clock, apply_migrations=False, run_jobs=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_visitor_may_see_a_deleted_post_for_two_seconds(
    app, clock, people, visitor
) -> None:
    ana: Person = people["ana"]
    post_id = await ana.post("Briefly here")
    await publish_due(app, clock, 30)
    assert "Briefly here" in (await visitor.get("/@ana")).text
    token = await csrf_from(ana.client, f"/@ana/{post_id}")
    await ana.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})

    assert "Briefly here" in (await visitor.get("/@ana")).text  # served from the cache
    assert "Briefly here" not in (await people["ben"].client.get("/@ana")).text  # members: fresh
    clock.advance(2.1)
    assert "Briefly here" not in (await visitor.get("/@ana")).text


async def test_a_page_not_found_is_not_cached(app, clock, people, visitor) -> None:
    post_id = await people["ana"].post("Soon")
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 404
    await publish_due(app, clock, 30)
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 200


async def test_a_visitor_with_a_session_is_never_served_from_the_cache(
    app, clock, people, visitor
) -> None:
    async with client_for(app) as dana:
        await dana.get("/login")  # now carries a session cookie, though not signed in
        assert "porch_session" in dana.cookies
        for client in (visitor, dana):
            assert "Fresh words" not in (await client.get("/local")).text
        await people["ana"].post("Fresh words")
        await publish_due(app, clock, 0)  # no pause in this app: published at once
        assert "Fresh words" not in (await visitor.get("/local")).text  # cached copy
        assert "Fresh words" in (await dana.get("/local")).text
