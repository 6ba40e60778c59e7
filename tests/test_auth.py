"""Signing up, logging in and out, and the guards around them."""

from __future__ import annotations

from server.config import RegistrationMode
from tests.conftest import client_for, csrf_from

PASSWORD = "correct horse battery"


async def sign_up(client, username: str, email: str | None = None, **extra: str):
    token = await csrf_from(client, "/signup")
    data = {
        "username": username,
        "email": email or f"{username.lower()}@example.com",
        "password": PASSWORD,
        "csrf_token": token,
        **extra,
    }
    return await client.post("/signup", data=data)


async def log_in(client, login: str, password: str = PASSWORD):
    token = await csrf_from(client, "/login")
    return await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token}
    )


async def test_dana_signs_up_and_lands_on_her_home(app, visitor) -> None:
    response = await sign_up(visitor, "dana")
    assert response.status_code == 303
    home = await visitor.get("/")
    assert "Welcome to Porch, dana." in home.text
    assert 'href="/@dana"' in home.text


async def test_logging_out_and_back_in(app, visitor) -> None:
    await sign_up(visitor, "dana")
    token = await csrf_from(visitor, "/")
    await visitor.post("/logout", data={"csrf_token": token})
    assert "Log in" in (await visitor.get("/")).text
    response = await log_in(visitor, "DANA")
    assert response.status_code == 303
    assert 'href="/@dana"' in (await visitor.get("/")).text


async def test_login_by_email_works_too(app, visitor) -> None:
    await sign_up(visitor, "dana")
    async with client_for(app) as other:
        assert (await log_in(other, "dana@example.com")).status_code == 303


async def test_wrong_password_is_refused_with_a_message(app, visitor) -> None:
    await sign_up(visitor, "dana")
    async with client_for(app) as other:
        response = await log_in(other, "dana", "not the password")
        assert response.status_code == 422
        assert "That username or password is not right." in response.text
        assert 'value="dana"' in response.text  # what was typed is kept
        assert 'href="/@dana"' not in (await other.get("/")).text


async def test_usernames_are_case_insensitive_and_unique(app, visitor) -> None:
    await sign_up(visitor, "Dana")
    async with client_for(app) as other:
        response = await sign_up(other, "dANA", email="other@example.com")
        assert response.status_code == 409
        assert "is taken" in response.text
        assert 'value="other@example.com"' in response.text


async def test_reserved_and_malformed_usernames_are_refused(app) -> None:
    for name, message in [
        ("admin", "is reserved"),
        ("Porch", "is reserved"),
        ("ana smith", "only letters, numbers and underscores"),
        ("x" * 31, "at most 30 characters"),
        ("", "Choose a username."),
    ]:
        async with client_for(app) as client:
            response = await sign_up(client, name, email="someone@example.com")
            assert response.status_code == 422, name
            assert message in response.text, name


async def test_duplicate_email_and_short_password_are_refused(app, visitor) -> None:
    await sign_up(visitor, "dana")
    async with client_for(app) as other:
        response = await sign_up(other, "eli", email="DANA@example.com")
        assert response.status_code == 409
        assert "email address exists already" in response.text
        token = await csrf_from(other, "/signup")
        short = await other.post(
            "/signup",
            data={
                "username": "eli",
                "email": "eli@example.com",
                "password": "short",
                "csrf_token": token,
            },
        )
        assert short.status_code == 422
        assert "at least 8 characters" in short.text


async def test_a_form_without_the_csrf_token_is_refused(app, visitor) -> None:
    await visitor.get("/signup")
    response = await visitor.post(
        "/signup", data={"username": "dana", "email": "d@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    forged = await visitor.post(
        "/signup",
        data={
            "username": "dana",
            "email": "d@example.com",
            "password": PASSWORD,
            "csrf_token": "forged",
        },
    )
    assert forged.status_code == 403
    # Nothing was created by the refused forms.
    assert (await sign_up(visitor, "dana", email="d@example.com")).status_code == 303


async def test_every_web_form_route_checks_csrf(app, people) -> None:
    """Each POST route of the web UI refuses a signed-in member's request without a token."""
    from starlette.routing import Route

    from server.web.routes import routes

    client = people["ana"].client
    for route in routes:
        if not isinstance(route, Route) or "POST" not in (route.methods or set()):
            continue
        path = route.path.replace("{username}", "ben").replace("{post_id}", "1")
        path = path.replace("{draft_id}", "1").replace("{action}", "suspend")
        response = await client.post(path, data={"text": "x"})
        assert response.status_code == 403, f"{route.path} answered {response.status_code}"


async def test_login_attempts_are_rate_limited(app, visitor) -> None:
    await sign_up(visitor, "dana")
    async with client_for(app) as other:
        statuses = [(await log_in(other, "dana", "wrong password")).status_code for _ in range(10)]
        assert statuses == [422] * 10
        blocked = await log_in(other, "dana")  # even the right password waits now
        assert blocked.status_code == 429
        assert "Too many login attempts" in blocked.text
        assert int(blocked.headers["retry-after"]) > 0


async def test_approval_mode_holds_sign_ups_until_an_admin_approves(app, settings, visitor) -> None:
    app.state.settings = settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    response = await sign_up(visitor, "dana", reason="I live on this street.")
    assert response.status_code == 200
    assert "An admin will look at your sign-up" in response.text
    async with client_for(app) as other:
        refused = await log_in(other, "dana")
        assert refused.status_code == 403
        assert "waiting for an admin" in refused.text


async def test_closed_mode_refuses_sign_ups(app, settings, visitor) -> None:
    app.state.settings = settings.model_copy(update={"registration_mode": RegistrationMode.closed})
    page = await visitor.get("/signup")
    assert "not taking new members" in page.text
    await visitor.get("/login")  # a page with a form, for the token
    token = await csrf_from(visitor, "/login")
    response = await visitor.post(
        "/signup",
        data={
            "username": "dana",
            "email": "d@example.com",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 403


async def test_session_cookie_is_httponly_and_samesite_lax(app, visitor) -> None:
    response = await sign_up(visitor, "dana")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # served over http on localhost
