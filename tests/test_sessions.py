"""Web sessions live on the server: ending one logs that browser out wherever its cookie
went, and members see where they are logged in."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import MemberState
from server.services import accounts, oauth_apps, oauth_tokens
from server.web.pagecache import SESSION_COOKIE
from tests.conftest import client_for, csrf_from
from tests.test_auth import PASSWORD, log_in, sign_up

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def copy_of(app: Starlette, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Someone else's browser holding a copy of `client`'s session cookie."""
    thief = client_for(app)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


async def signed_in_as(client: httpx.AsyncClient, name: str) -> bool:
    return f'href="/@{name}"' in (await client.get("/")).text


async def test_a_copied_cookie_stops_working_when_ana_logs_out(app: Starlette) -> None:
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        async with copy_of(app, ana) as thief:
            assert await signed_in_as(thief, "ana")
            await ana.post("/logout", data={"csrf_token": await csrf_from(ana, "/")})
            assert not await signed_in_as(ana, "ana")
            assert not await signed_in_as(thief, "ana")
            compose = await thief.get("/compose")
            assert compose.status_code == 303
            assert compose.headers["location"].startswith("/login")


async def test_a_new_password_ends_every_other_session(app: Starlette) -> None:
    async with client_for(app) as laptop, client_for(app) as phone:
        await sign_up(laptop, "ana")
        assert (await log_in(phone, "ana")).status_code == 303
        async with copy_of(app, phone) as thief, copy_of(app, laptop) as laptop_thief:
            token = await csrf_from(laptop, "/settings/password")
            changed = await laptop.post(
                "/settings/password",
                data={
                    "current_password": PASSWORD,
                    "password": "a brand new evening",
                    "revoke_apps": "yes",
                    "csrf_token": token,
                },
            )
            assert changed.status_code == 303
            assert await signed_in_as(laptop, "ana")
            assert not await signed_in_as(phone, "ana")
            assert not await signed_in_as(thief, "ana")
            # The laptop stays in with a new key: a copy of its old cookie is out too.
            assert not await signed_in_as(laptop_thief, "ana")
    async with client_for(app) as other:
        assert (await log_in(other, "ana")).status_code == 422
        assert (await log_in(other, "ana", "a brand new evening")).status_code == 303


async def test_a_wrong_current_password_changes_nothing(app: Starlette) -> None:
    async with client_for(app) as laptop, client_for(app) as phone:
        await sign_up(laptop, "ana")
        assert (await log_in(phone, "ana")).status_code == 303
        token = await csrf_from(laptop, "/settings/password")
        refused = await laptop.post(
            "/settings/password",
            data={
                "current_password": "not my password",
                "password": "a brand new evening",
                "csrf_token": token,
            },
        )
        assert refused.status_code == 422
        assert "Your current password is not right." in refused.text
        assert await signed_in_as(phone, "ana")


async def test_suspension_ends_sessions_and_apps_for_good(
    app: Starlette, clock: FrozenClock
) -> None:
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        async with app.state.sessions() as session:
            found = await accounts.local_member(session, "ana")
            assert found.member.id is not None
            issued = await oauth_tokens.create_token(
                session, found.member.id, "bot", "read", clock.now()
            )
        async with copy_of(app, ana) as thief:
            async with app.state.sessions() as session:
                await accounts.set_state(session, "ana", MemberState.suspended, clock.now())
                await accounts.set_state(session, "ana", MemberState.active, clock.now())
            # Reinstated, Ana logs in again; what was signed in before stays out.
            assert not await signed_in_as(thief, "ana")
            assert not await signed_in_as(ana, "ana")
        async with app.state.sessions() as session:
            assert (
                await oauth_tokens.authenticate(session, issued.access_token, clock.now()) is None
            )
        assert (await log_in(ana, "ana")).status_code == 303


async def test_ana_sees_her_sessions_and_ends_the_one_she_lost(app: Starlette) -> None:
    laptop = client_for(app)
    laptop.headers["user-agent"] = FIREFOX
    phone = client_for(app)
    phone.headers["user-agent"] = PHONE
    async with laptop, phone:
        await sign_up(laptop, "ana")
        assert (await log_in(phone, "ana")).status_code == 303
        page = await laptop.get("/settings/sessions")
        assert page.status_code == 200
        assert "Firefox on Linux" in page.text
        assert "Safari on iOS" in page.text
        assert page.text.count("(this device)") == 1
        assert re.search(r"Firefox on Linux <span class=\"hint\">\(this device\)", page.text)
        ends = re.findall(r'action="(/settings/sessions/\d+/end)"', page.text)
        assert len(ends) == 2
        phone_end = ends[0] if page.text.index(ends[0]) > page.text.index("Safari") else ends[1]
        token = await csrf_from(laptop, "/settings/sessions")
        ended = await laptop.post(phone_end, data={"csrf_token": token})
        assert ended.status_code == 303 and ended.headers["location"] == "/settings/sessions"
        assert not await signed_in_as(phone, "ana")
        assert await signed_in_as(laptop, "ana")
        assert "Safari on iOS" not in (await laptop.get("/settings/sessions")).text


async def test_ending_all_other_sessions_keeps_this_one(app: Starlette) -> None:
    async with client_for(app) as laptop, client_for(app) as phone, client_for(app) as tablet:
        await sign_up(laptop, "ana")
        await log_in(phone, "ana")
        await log_in(tablet, "ana")
        token = await csrf_from(laptop, "/settings/sessions")
        ended = await laptop.post("/settings/sessions/end_others", data={"csrf_token": token})
        assert ended.status_code == 303
        assert "Ended 2 other sessions." in (await laptop.get("/settings/sessions")).text
        assert await signed_in_as(laptop, "ana")
        assert not await signed_in_as(phone, "ana")
        assert not await signed_in_as(tablet, "ana")


async def test_ben_cannot_end_anas_session(app: Starlette) -> None:
    async with client_for(app) as ana, client_for(app) as ben:
        await sign_up(ana, "ana")
        await sign_up(ben, "ben")
        page = await ana.get("/settings/sessions")
        anas = re.findall(r'action="(/settings/sessions/\d+/end)"', page.text)
        token = await csrf_from(ben, "/settings/sessions")
        answer = await ben.post(anas[0], data={"csrf_token": token})
        assert answer.status_code == 303
        assert await signed_in_as(ana, "ana")
        assert await signed_in_as(ben, "ben")


async def test_a_session_unused_for_thirty_days_ends(app: Starlette, clock: FrozenClock) -> None:
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        clock.advance(timedelta(days=29).total_seconds())
        assert await signed_in_as(ana, "ana")  # using it keeps it alive
        clock.advance(timedelta(days=29).total_seconds())
        assert await signed_in_as(ana, "ana")
        clock.advance(timedelta(days=31).total_seconds())
        assert not await signed_in_as(ana, "ana")


async def test_logging_in_again_ends_the_session_the_browser_had(app: Starlette) -> None:
    async with client_for(app) as ana:
        await sign_up(ana, "ana")
        async with copy_of(app, ana) as thief:
            token = await csrf_from(ana, "/")
            again = await ana.post(
                "/login", data={"login": "ana", "password": PASSWORD, "csrf_token": token}
            )
            assert again.status_code == 303
            assert await signed_in_as(ana, "ana")
            assert not await signed_in_as(thief, "ana")


async def test_an_app_asking_to_choose_the_account_keeps_ana_signed_in(
    app: Starlette, clock: FrozenClock
) -> None:
    """force_login=true (Mastodon's "log in as another account") asks who is letting the
    app in; until someone logs in, Ana's session goes on as it was."""
    async with client_for(app) as browser, client_for(app) as other:
        await sign_up(other, "ben")
        await sign_up(browser, "ana")
        async with app.state.sessions() as session:
            registered = await oauth_apps.register_app(
                session,
                name="Evening Reader",
                redirect_uris=[oauth_apps.OOB],
                scopes="read",
                website=None,
                now=clock.now(),
            )
        query = {
            "response_type": "code",
            "client_id": registered.app.client_id,
            "redirect_uri": oauth_apps.OOB,
            "scope": "read",
        }
        page = await browser.get("/oauth/authorize", params={**query, "force_login": "true"})
        assert page.status_code == 200
        assert "Log in with the account you want to let Evening Reader into." in page.text
        assert "You are logged in as @ana" in page.text
        target = re.search(r'name="next" value="([^"]+)"', page.text)
        assert target is not None and "force_login" not in target.group(1)
        assert await signed_in_as(browser, "ana")

        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        answer = await browser.post(
            "/login",
            data={
                "login": "ben",
                "password": PASSWORD,
                "next": target.group(1).replace("&amp;", "&"),
                "csrf_token": token.group(1),
            },
        )
        assert answer.status_code == 303
        consent = await browser.get(answer.headers["location"])
        assert consent.status_code == 200
        assert "Evening Reader" in consent.text
        assert 'href="/@ben"' in consent.text


async def test_guessing_the_current_password_is_limited_like_logging_in(app: Starlette) -> None:
    """Someone holding Ana's open session cannot try passwords without the login limit."""
    async with client_for(app) as laptop:
        await sign_up(laptop, "ana")
        answers = []
        for guess in range(12):
            token = await csrf_from(laptop, "/settings/password")
            answer = await laptop.post(
                "/settings/password",
                data={
                    "current_password": f"guess {guess}",
                    "password": "a brand new evening",
                    "csrf_token": token,
                },
            )
            answers.append(answer.status_code)
        assert answers[:10] == [422] * 10 and answers[10:] == [429, 429]
        assert "Too many password attempts" in answer.text
    async with client_for(app) as other:
        assert (await log_in(other, "ana")).status_code == 429  # the same limit, counted once
