"""Logged-out visitors may be served a page a couple of seconds old; members never are."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from server import jobs
from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.services import accounts
from tests.conftest import (
    REDIS_URL,
    Person,
    client_for,
    csrf_from,
    need_service,
    publish_due,
    sign_up,
)
from tests.test_exactly_once import bearer


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


HARSH = "Nobody cares about your seedlings"


async def _hide(ana: Person, reply: int, root: int, action: str = "hide") -> None:
    token = await csrf_from(ana.client, f"/@ana/{root}")
    answer = await ana.client.post(f"/posts/{reply}/{action}", data={"csrf_token": token})
    assert answer.status_code == 303, answer.text


async def test_a_reply_hidden_or_blocked_leaves_the_kept_thread_page_at_once(
    app, clock, people, visitor
) -> None:
    """Visitors are served a thread page kept for two seconds, but not once Ana hid a
    reply in it or blocked its author: what a thread shows may not wait."""
    ana, ben = people["ana"], people["ben"]
    root = await ana.post("The seedlings are up")
    await publish_due(app, clock, 0)
    harsh = await ben.post(HARSH, reply_to=root)
    await publish_due(app, clock, 61)
    page = f"/@ana/{root}"
    assert HARSH in (await visitor.get(page)).text  # now kept

    await _hide(ana, harsh, root)
    assert HARSH not in (await visitor.get(page)).text  # the clock has not moved
    await _hide(ana, harsh, root, "unhide")
    assert HARSH in (await visitor.get(page)).text

    async with app.state.sessions() as session:
        ben_id = (await accounts.local_actor(session, "ben")).id
    async with await bearer(app, "ana", clock) as client:
        assert (await client.post(f"/api/v1/accounts/{ben_id}/block")).status_code == 200
        assert HARSH not in (await visitor.get(page)).text
        assert (await client.post(f"/api/v1/accounts/{ben_id}/unblock")).status_code == 200
        assert HARSH in (await visitor.get(page)).text


async def test_another_process_forgets_its_kept_thread_page_when_a_reply_is_hidden(
    settings: Settings, clock: FrozenClock
) -> None:
    """Two web processes sharing Redis: the visitor reads the thread from `two`, Ana hides
    the reply through `one`; `two`'s next answer no longer holds it."""
    need_service("redis", REDIS_URL)
    shared = settings.model_copy(
        update={"redis_url": REDIS_URL, "public_cache_seconds": 2, "pause_post_seconds": 0}
    )
    one = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    two = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        for each in (one, two):
            await asyncio.wait_for(each.state.bus.subscribed.wait(), 5)
        ana, ben = await sign_up(client_for(one), "ana"), await sign_up(client_for(one), "ben")
        async with client_for(two) as visitor:
            root = await ana.post("The seedlings are up")
            await jobs.publish_due(one.state.sessions, clock)  # as the worker does
            harsh = await ben.post(HARSH, reply_to=root)
            clock.advance(61)
            assert await jobs.publish_due(one.state.sessions, clock) == 1
            page = f"/@ana/{root}"
            assert HARSH in (await visitor.get(page)).text  # kept on `two`
            with two.state.bus.listen() as heard_on_two:
                await _hide(ana, harsh, root)
                # The event crosses Redis at Redis's pace; once it has arrived on `two`...
                while (await asyncio.wait_for(heard_on_two.get(), 5)).topic != "thread":
                    pass
            assert HARSH not in (await visitor.get(page)).text
        for person in (ana, ben):
            await person.client.aclose()
