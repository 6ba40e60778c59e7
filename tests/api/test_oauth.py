"""Letting apps in: registration as real apps send it, consent, codes, tokens, revocation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from mastodon import Mastodon

from tests.api.conftest import REDIRECT, Running, csrf

OOB = "urn:ietf:wg:oauth:2.0:oob"


def test_apps_register_with_a_form_json_or_query_parameters(server: Running) -> None:
    with server.api() as api:
        form = api.post("/api/v1/apps", data={"client_name": "Tusky", "redirect_uris": OOB})
        as_json = api.post(
            "/api/v1/apps",
            json={
                "client_name": "Elk",
                "redirect_uris": ["https://elk.example/callback", "com.elk:/oauth"],
                "scopes": "read write",
            },
        )
        # Ice Cubes sends everything in the query string of an empty POST.
        query = api.post(
            "/api/v1/apps?"
            + urlencode(
                {
                    "client_name": "Ice Cubes",
                    "redirect_uris": "icecubesapp://",
                    "scopes": "read write follow push",
                }
            )
        )
        # Some apps send a form without a Content-Type.
        bare = api.post(
            "/api/v1/apps",
            content=urlencode({"client_name": "Bare", "redirect_uris": OOB}).encode(),
            headers={"Content-Type": ""},
        )
    assert form.status_code == as_json.status_code == query.status_code == 200
    assert bare.status_code == 200, bare.text
    assert bare.json()["name"] == "Bare"
    assert form.json()["redirect_uri"] == OOB
    assert as_json.json()["redirect_uris"] == ["https://elk.example/callback", "com.elk:/oauth"]
    assert sorted(as_json.json()["scopes"]) == ["read", "write"]
    assert query.json()["name"] == "Ice Cubes"
    assert query.json()["client_secret_expires_at"] == 0


def test_the_out_of_band_flow_shows_the_code_to_copy(server: Running) -> None:
    server.member("ana")
    client_id, secret = Mastodon.create_app(
        "Script", scopes=["read"], redirect_uris=OOB, api_base_url=server.base
    )
    code = server.authorize("ana", client_id, redirect=OOB, scope="read")
    app = Mastodon(client_id=client_id, client_secret=secret, api_base_url=server.base)
    app.log_in(code=code, redirect_uri=OOB, scopes=["read"], allow_http=True)
    assert app.account_verify_credentials()["username"] == "ana"


def test_a_visitor_logs_in_first_and_comes_back_to_the_consent_page(server: Running) -> None:
    server.member("ana")
    client_id, _ = server.register_app()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT}
    with httpx.Client(base_url=server.base) as browser:
        first = browser.get("/oauth/authorize", params=query)
        assert first.status_code == 303
        login_page = browser.get(first.headers["location"])
        target = re.search(r'name="next" value="([^"]+)"', login_page.text)
        assert target and target.group(1).startswith("/oauth/authorize?")
        logged_in = browser.post(
            "/login",
            data={
                "login": "ana",
                "password": "a calm porch evening",
                "next": target.group(1).replace("&amp;", "&"),
                "csrf_token": csrf(login_page.text),
            },
        )
        consent = browser.get(logged_in.headers["location"])
    assert consent.status_code == 200
    assert "Let Porch tests use your account?" in consent.text
    assert "Posts it makes for you wait out the same pause" in consent.text


def test_denying_sends_the_app_an_access_denied_error(server: Running) -> None:
    server.member("ana")
    client_id, _ = server.register_app()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "s1",
    }
    browser = server.browser("ana")
    try:
        page = browser.get("/oauth/authorize", params=query)
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        answer = browser.post("/oauth/authorize", data={**form, "decision": "deny"})
    finally:
        browser.close()
    assert answer.status_code == 302
    params = parse_qs(urlsplit(answer.headers["location"]).query)
    assert params == {"error": ["access_denied"], "state": ["s1"]}


def test_an_app_token_reads_public_things_but_is_nobody(server: Running) -> None:
    client_id, secret = server.register_app()
    with server.api() as api:
        issued = api.post(
            "/oauth/token",
            auth=(client_id, secret),  # HTTP Basic, as RFC 6749 prefers
            data={"grant_type": "client_credentials", "scope": "read"},
        )
        assert issued.status_code == 200, issued.text
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        assert api.get("/api/v1/timelines/public", headers=bearer).status_code == 200
        me = api.get("/api/v1/accounts/verify_credentials", headers=bearer)
    assert me.status_code == 422
    assert me.json() == {"error": "This method requires an authenticated user"}


def test_a_member_sees_their_apps_and_takes_access_back(server: Running) -> None:
    server.member("ana")
    token = server.token("ana")
    browser = server.browser("ana")
    try:
        page = browser.get("/settings/apps")
        assert "Porch tests" in page.text
        action = re.search(r'action="(/settings/apps/\d+/revoke)"', page.text)
        assert action
        browser.post(action.group(1), data={"csrf_token": csrf(page.text)})
        after = browser.get("/settings/apps")
    finally:
        browser.close()
    assert "No app uses your account." in after.text
    refused = httpx.get(
        server.base + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401


def test_a_token_from_the_command_line_works_for_a_script(server: Running) -> None:
    server.member("ana")
    settings = server.app.state.settings
    env = {
        **os.environ,
        "PORCH_DATA_DIR": str(settings.data_dir),
        "PORCH_DATABASE_URL": settings.database_url,
        "PORCH_DOMAIN": settings.domain,
    }
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "token",
            "create",
            "backup script",
            "--member",
            "ana",
            "--scopes",
            "read",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    script = Mastodon(access_token=token, api_base_url=server.base)
    assert script.account_verify_credentials()["username"] == "ana"
    with server.api() as api:
        posted = api.post(
            "/api/v1/statuses", headers={"Authorization": f"Bearer {token}"}, data={"status": "hi"}
        )
    assert posted.status_code == 403  # read only, as asked
    browser = server.browser("ana")
    try:
        assert "backup script" in browser.get("/settings/apps").text
    finally:
        browser.close()


def test_browser_apps_may_call_the_api_from_another_origin(server: Running) -> None:
    with server.api() as api:
        preflight = api.options(
            "/api/v1/timelines/home",
            headers={
                "Origin": "https://elk.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        plain = api.get("/api/v1/instance", headers={"Origin": "https://elk.example"})
        page = api.get("/", headers={"Origin": "https://elk.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert plain.headers["access-control-allow-origin"] == "*"
    assert "link" in plain.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in page.headers  # the web UI stays same-origin


def test_the_server_describes_its_oauth(server: Running) -> None:
    found = httpx.get(server.base + "/.well-known/oauth-authorization-server").json()
    assert found["authorization_endpoint"] == server.base + "/oauth/authorize"
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert "read:statuses" in found["scopes_supported"]
