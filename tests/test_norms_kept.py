"""The norms are read once per change, not once per request: an admin's change shows on
the very next request, in this process and (through Redis) in another one."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.services import accounts
from tests.conftest import PASSWORD, csrf_from
from tests.statements import statements
from tests.test_admin import make_admin
from tests.test_exactly_once import bearer

LONG = "A walk by the river, then tea."  # 30 characters


async def ana_on(app: Starlette, clock: FrozenClock) -> httpx.AsyncClient:
    async with app.state.sessions() as session:
        await accounts.create_member(
            session, username="ana", email="ana@example.com", password=PASSWORD, now=clock.now()
        )
    return await bearer(app, "ana", clock)


async def shorter_posts(admin: httpx.AsyncClient) -> None:
    """The admin limits posts to 20 characters from the norms console."""
    token = await csrf_from(admin, "/admin/norms")
    answer = await admin.post(
        "/admin/norms",
        data={"name": "posts.max_chars", "value": "20", "reason": "Short", "csrf_token": token},
    )
    assert answer.status_code == 303, answer.text


def reads_norms(seen: list[str]) -> bool:
    return any("FROM norm_values" in sql for sql in seen)


async def test_norms_are_read_once_until_an_admin_changes_them(
    app: Starlette, clock: FrozenClock
) -> None:
    admin = await make_admin(app, clock)
    async with await ana_on(app, clock) as ana:
        assert (await ana.post("/api/v1/statuses", data={"status": "First"})).status_code == 200
        with statements(app.state.engine) as seen:
            answer = await ana.post("/api/v1/statuses", data={"status": LONG})
        assert answer.status_code == 200
        assert not reads_norms(seen)  # kept from the first post
        await shorter_posts(admin)
        with statements(app.state.engine) as seen:
            refused = await ana.post("/api/v1/statuses", data={"status": LONG})
        assert refused.status_code == 422, refused.text
        assert reads_norms(seen)  # the change was heard: read afresh
    await admin.aclose()


async def test_a_norm_changed_on_one_process_applies_on_the_others_next_request(
    two_processes: tuple[Starlette, Starlette], clock: FrozenClock
) -> None:
    one, two = two_processes
    admin = await make_admin(one, clock)
    async with await ana_on(two, clock) as ana:
        assert (await ana.post("/api/v1/statuses", data={"status": LONG})).status_code == 200
        with two.state.bus.listen() as heard_on_two:
            await shorter_posts(admin)
            # The change crosses Redis at Redis's pace; once it has arrived on `two`...
            await asyncio.wait_for(heard_on_two.get(), 5)
        refused = await ana.post("/api/v1/statuses", data={"status": LONG})
        assert refused.status_code == 422, refused.text
    await admin.aclose()
