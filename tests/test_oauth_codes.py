"""Authorization codes are spent once, even when an app races itself for the token."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from server.models import OAuthToken
from server.services import accounts, oauth_apps, oauth_codes
from tests.conftest import client_for

REDIRECT = "https://app.example/callback"


async def _code_for_ana(app: Starlette, *, redirect_uri: str = REDIRECT) -> tuple[str, str, str]:
    """Ana lets an app in; returns its client id, its secret and the code she was given."""
    now = app.state.clock.now()
    async with app.state.sessions() as session:
        ana = await accounts.create_member(
            session, username="ana", email="ana@example.com", password="a calm evening", now=now
        )
        registered = await oauth_apps.register_app(
            session,
            name="Racer",
            redirect_uris=[REDIRECT, oauth_apps.OOB],
            scopes="read",
            website=None,
            now=now,
        )
        asked = await oauth_codes.check_authorization(
            session,
            client_id=registered.app.client_id,
            redirect_uri=redirect_uri,
            response_type="code",
            scope="read",
            state=None,
            code_challenge=None,
            code_challenge_method=None,
        )
        assert ana.member.id is not None
        code = await oauth_codes.grant_code(session, asked, ana.member.id, now)
    return registered.app.client_id, registered.client_secret, code


async def _warm(app: Starlette, connections: int) -> None:
    """Open the connections the racers will use, so none of them starts late."""

    async def hold(ready: asyncio.Barrier) -> None:
        async with app.state.sessions() as session:
            await session.exec(select(1))
            await ready.wait()

    ready = asyncio.Barrier(connections)
    await asyncio.gather(*(hold(ready) for _ in range(connections)))


async def _exchange(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await client.post("/oauth/token", data={"grant_type": "authorization_code", **form})


async def test_six_concurrent_exchanges_of_one_code_give_one_token(app: Starlette) -> None:
    client_id, secret, code = await _code_for_ana(app)
    form = {
        "client_id": client_id,
        "client_secret": secret,
        "code": code,
        "redirect_uri": REDIRECT,
    }
    await _warm(app, 6)
    clients = [client_for(app) for _ in range(6)]
    try:
        answers = await asyncio.gather(*(_exchange(c, form) for c in clients))
    finally:
        for client in clients:
            await client.aclose()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 400, 400, 400, 400, 400], [a.text for a in answers]
    refused = [a.json() for a in answers if a.status_code == 400]
    assert all(r["error"] == "invalid_grant" for r in refused)
    async with app.state.sessions() as session:
        tokens = await session.exec(select(OAuthToken))
        assert len(tokens.all()) == 1


@pytest.mark.parametrize("sent", [None, "https://elsewhere.example/callback"])
async def test_the_token_endpoint_wants_the_redirect_uri_given_at_authorize(
    app: Starlette, sent: str | None
) -> None:
    client_id, secret, code = await _code_for_ana(app)
    form = {"client_id": client_id, "client_secret": secret, "code": code}
    if sent is not None:
        form["redirect_uri"] = sent
    async with client_for(app) as client:
        answer = await _exchange(client, form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert "redirect_uri" in answer.json()["error_description"]


async def test_the_out_of_band_code_is_exchanged_with_its_redirect_uri(app: Starlette) -> None:
    client_id, secret, code = await _code_for_ana(app, redirect_uri=oauth_apps.OOB)
    form = {"client_id": client_id, "client_secret": secret, "code": code}
    async with client_for(app) as client:
        answer = await _exchange(client, {**form, "redirect_uri": oauth_apps.OOB})
        again = await _exchange(client, {**form, "redirect_uri": oauth_apps.OOB})
    assert answer.status_code == 200, answer.text
    assert again.status_code == 400
    assert "used already" in again.json()["error_description"]
