"""Grants kept in memory: an app's next request does not read its token again, yet a
revoked token, a suspended member or a changed profile shows on the very next request,
in this process and, through Redis, in another one; while Redis is away nothing is kept."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.db import make_sessions
from server.models import MemberState
from server.services import accounts, oauth_tokens
from server.services.grant_cache import KEPT_FOR
from tests.conftest import BASE, client_for, sign_up
from tests.statements import statements


async def token_for(app: Starlette, username: str, clock: FrozenClock) -> str:
    async with app.state.sessions() as session:
        member = await accounts.local_member(session, username)
        assert member.member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.member.id, "Porch tests", "read write", clock.now()
        )
    return issued.access_token


def api(app: Starlette, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url=BASE,
        headers={"Authorization": f"Bearer {token}"},
    )


async def me(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v1/accounts/verify_credentials")


def token_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and "FROM oauth_tokens" in s]


async def suspend(app: Starlette, username: str, clock: FrozenClock) -> None:
    async with app.state.sessions() as session:
        await accounts.set_state(session, username, MemberState.suspended, clock.now())


async def test_an_apps_next_request_does_not_read_its_token_again(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana's app asks twice: only the first request reads her token."""
    async with api(app, await token_for(app, "ana", clock)) as ana:
        with statements(app.state.engine) as first:
            assert (await me(ana)).status_code == 200
        with statements(app.state.engine) as second:
            answer = await me(ana)
    assert answer.status_code == 200 and answer.json()["username"] == "ana"
    assert len(token_reads(first)) == 1
    assert token_reads(second) == []


async def test_a_grant_looked_at_twice_in_one_request_is_the_same_rows(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    token = await token_for(app, "ana", clock)
    async with api(app, token) as ana:
        assert (await me(ana)).status_code == 200  # kept now
    async with app.state.sessions() as session:
        first = await oauth_tokens.authenticate(session, token, clock.now(), app.state.grants)
        again = await oauth_tokens.authenticate(session, token, clock.now(), app.state.grants)
    assert first is not None and again is not None
    assert first.actor is again.actor and first.member is again.member


async def test_a_revoked_token_is_refused_on_the_next_request(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana withdraws her app's access from her settings; its next request is refused."""
    async with api(app, await token_for(app, "ana", clock)) as ana:
        assert (await me(ana)).status_code == 200
        assert (await me(ana)).status_code == 200  # kept now
        async with app.state.sessions() as session:
            member = await accounts.local_member(session, "ana")
            assert member.member.id is not None
            await oauth_tokens.revoke_member_tokens(session, member.member.id, clock.now())
            await session.commit()
        assert (await me(ana)).status_code == 401


async def test_a_suspended_members_app_is_refused_on_the_next_request(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    async with api(app, await token_for(app, "ben", clock)) as ben:
        assert (await me(ben)).status_code == 200
        await suspend(app, "ben", clock)
        assert (await me(ben)).status_code == 401


async def test_a_profile_change_shows_on_the_next_request(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana renames herself from her app; the next answer carries the new name, and what
    one request did to its own objects is not what the next one is given."""
    async with api(app, await token_for(app, "ana", clock)) as ana:
        assert (await me(ana)).json()["display_name"] in ("", "ana")
        changed = await ana.patch(
            "/api/v1/accounts/update_credentials", data={"display_name": "Ana Lima"}
        )
        assert changed.status_code == 200, changed.text
        assert (await me(ana)).json()["display_name"] == "Ana Lima"


async def test_any_change_to_a_member_drops_what_is_kept_without_being_told_to(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana switches her home to Latest on the web: no service announces that, yet her
    app's next request is given her member row as it is now."""
    async with api(app, await token_for(app, "ana", clock)) as ana:
        assert (await me(ana)).status_code == 200
        assert len(app.state.grants) == 1
        async with app.state.sessions() as session:
            member = await accounts.local_member(session, "ana")
            await accounts.set_home_order(session, member.member, "latest")
        assert len(app.state.grants) == 0
        async with app.state.sessions() as session:
            grant = await oauth_tokens.authenticate(
                session, ana.headers["Authorization"][7:], clock.now(), app.state.grants
            )
        assert grant is not None and grant.member is not None
        assert grant.member.home_order == "latest"


async def test_a_change_announced_to_no_one_shows_once_the_kept_grant_is_old(
    app: Starlette, settings: Settings, clock: FrozenClock, people: dict[str, object]
) -> None:
    """A command run beside the server (`porch user suspend`) has no bus to
    tell the server: a kept grant is trusted for KEPT_FOR at most."""
    async with api(app, await token_for(app, "ben", clock)) as ben:
        assert (await me(ben)).status_code == 200
        async with make_sessions(app.state.engine)() as session:  # no bus: nobody hears
            await accounts.set_state(session, "ben", MemberState.suspended, clock.now())
        assert (await me(ben)).status_code == 200  # the bound: kept, and nobody said
        clock.advance(KEPT_FOR.total_seconds())
        assert (await me(ben)).status_code == 401


async def test_a_kept_grant_makes_only_the_rows_a_request_asks_for(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana's app asks again: the grant from memory carries her ids and scopes as values,
    and makes her actor, member or app in the request's session only when asked."""
    token = await token_for(app, "ana", clock)
    async with api(app, token) as ana:
        assert (await me(ana)).status_code == 200  # kept now
    async with app.state.sessions() as session:
        with statements(app.state.engine) as seen:
            grant = await oauth_tokens.authenticate(session, token, clock.now(), app.state.grants)
        assert seen == [] and grant is not None
        assert grant.allows("read:statuses") and not grant.allows("admin:read")
        held = session.sync_session.identity_map
        assert len(held) == 0
        actor = grant.actor
        assert actor is not None and actor.id == grant.actor_id and actor.username == "ana"
        assert len(held) == 1 and grant.actor is actor
        member = grant.member
        assert member is not None and member.id == grant.member_id
        assert grant.app.name == "Porch tests" and len(held) == 3


async def heard(app: Starlette, generation: int) -> None:
    """Until the app's kept grants were dropped (Redis is another process's pace)."""
    while app.state.grants.generation == generation:
        await asyncio.sleep(0.01)


async def test_a_suspension_on_one_process_refuses_the_app_on_the_other(
    two_processes: tuple[Starlette, Starlette], clock: FrozenClock
) -> None:
    one, two = two_processes
    async with client_for(two) as browser:  # all made on `two`: it has heard it all
        await sign_up(browser, "ana")
    async with api(two, await token_for(two, "ana", clock)) as ana_on_two:
        assert (await me(ana_on_two)).status_code == 200
        assert len(two.state.grants) == 1
        generation = two.state.grants.generation
        await suspend(one, "ana", clock)
        await asyncio.wait_for(heard(two, generation), 5)
        assert (await me(ana_on_two)).status_code == 401


async def test_while_redis_is_away_nothing_is_kept(settings: Settings, clock: FrozenClock) -> None:
    """A process whose Redis cannot be reached may miss other processes' events: it
    reads every grant from the database, so a suspension elsewhere shows at once."""
    away = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/9"})
    app = create_app(away, clock=clock, apply_migrations=False, run_jobs=False)
    async with app.router.lifespan_context(app):
        async with client_for(app) as browser:
            await sign_up(browser, "ana")
        async with api(app, await token_for(app, "ana", clock)) as ana:
            assert (await me(ana)).status_code == 200
            assert (await me(ana)).status_code == 200
            assert len(app.state.grants) == 0
            async with make_sessions(app.state.engine)() as session:  # another process
                await accounts.set_state(session, "ana", MemberState.suspended, clock.now())
            assert (await me(ana)).status_code == 401
