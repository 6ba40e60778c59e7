"""Web sessions kept in memory: a member's next page does not read their session again,
yet a session ended anywhere (logout, the sessions page, a new password, a suspension)
ends on the very next page, in this process and, through Redis, in another one."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import MemberState
from server.services import accounts
from tests.api.test_grant_cache import heard
from tests.conftest import client_for, csrf_from
from tests.statements import statements
from tests.test_auth import sign_up
from tests.test_sessions import copy_of, signed_in_as


def session_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and "JOIN web_sessions" in s]


async def test_a_members_next_page_does_not_read_their_session_again(app: Starlette) -> None:
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        with statements(app.state.engine) as first:
            assert (await ana.get("/notifications")).status_code == 200
        with statements(app.state.engine) as second:
            page = await ana.get("/notifications")
    assert page.status_code == 200 and 'href="/@ana"' in page.text
    assert len(session_reads(first)) == 1
    assert session_reads(second) == []


async def test_someone_logging_in_leaves_what_others_have_kept(app: Starlette) -> None:
    """Ben logging in removes his own expired sessions, nobody's live grant: Ana's kept
    session stays kept."""
    async with client_for(app) as ana, client_for(app) as ben:
        await sign_up(ana, "ana")
        assert await signed_in_as(ana, "ana")
        generation = app.state.grants.generation
        await sign_up(ben, "ben")
        assert app.state.grants.generation == generation


async def test_a_session_ended_from_the_sessions_page_ends_on_its_next_page(
    app: Starlette,
) -> None:
    """Ana, on her laptop, ends the session a copy of her cookie is using."""
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        async with copy_of(app, ana) as thief:
            assert await signed_in_as(thief, "ana")
            assert await signed_in_as(thief, "ana")  # kept now
            await ana.post("/logout", data={"csrf_token": await csrf_from(ana, "/")})
            assert not await signed_in_as(thief, "ana")


async def test_a_suspended_member_is_signed_out_on_their_next_page(
    app: Starlette, clock: FrozenClock
) -> None:
    async with client_for(app) as ben:
        await sign_up(ben, "ben")
        assert await signed_in_as(ben, "ben")
        async with app.state.sessions() as session:
            await accounts.set_state(session, "ben", MemberState.suspended, clock.now())
        assert not await signed_in_as(ben, "ben")


async def test_a_logout_on_one_process_ends_the_copied_cookie_on_the_other(
    two_processes: tuple[Starlette, Starlette],
) -> None:
    one, two = two_processes
    async with client_for(one) as ana:
        await sign_up(ana, "ana")
        async with copy_of(two, ana) as thief:
            assert await signed_in_as(thief, "ana")
            generation = two.state.grants.generation
            await ana.post("/logout", data={"csrf_token": await csrf_from(ana, "/")})
            await asyncio.wait_for(heard(two, generation), 5)
            assert not await signed_in_as(thief, "ana")
