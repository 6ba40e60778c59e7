"""A real Porch server for client-API tests: uvicorn on a loopback port, in a thread.

Apps (Mastodon.py, httpx) talk to it over real HTTP. The server's clock is frozen and
its jobs run only when a test says so, so a test decides when a pause ends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from mastodon import Mastodon
from starlette.applications import Starlette

from federation.signatures import KeyPair
from server.app import create_app
from server.clock import FrozenClock
from server.config import load_settings
from server.services import accounts
from tests.federation.conftest import Fediverse
from tests.federation.mastodon_double import MASTODON, MastodonDouble

T = TypeVar("T")
PASSWORD = "a calm porch evening"
SCOPES = ["read", "write", "follow", "push"]
REDIRECT = "https://app.example/callback"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """The server, and ways to reach into it the way an operator would."""

    base: str
    app: Starlette
    clock: FrozenClock
    loop: asyncio.AbstractEventLoop
    mastodon_double: MastodonDouble
    tokens: dict[str, str] = field(default_factory=dict)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's own event loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(60)

    def member(self, username: str, *, locked: bool = False) -> int:
        """Create an active member; returns their account id."""

        async def create() -> int:
            async with self.app.state.sessions() as session:
                found = await accounts.create_member(
                    session,
                    username=username,
                    email=f"{username}@example.com",
                    password=PASSWORD,
                    now=self.clock.now(),
                )
                if locked:
                    await accounts.update_profile(
                        session, found.actor, locked=True, now=self.clock.now()
                    )
                assert found.actor.id is not None
                return found.actor.id

        return self.run(create())

    def browser(self, username: str) -> httpx.Client:
        """A cookie-keeping client signed in through the login form."""
        client = httpx.Client(base_url=self.base, timeout=30)
        token = csrf(client.get("/login").text)
        response = client.post(
            "/login", data={"login": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.text
        return client

    def register_app(self, name: str = "Porch tests", redirect: str = REDIRECT) -> tuple[str, str]:
        """Register an app the way apps do, through Mastodon.py."""
        return Mastodon.create_app(
            name, scopes=SCOPES, redirect_uris=redirect, api_base_url=self.base
        )

    def authorize(
        self,
        username: str,
        client_id: str,
        *,
        redirect: str = REDIRECT,
        scope: str = " ".join(SCOPES),
        verifier: str | None = None,
    ) -> str:
        """The member consents on the authorization page; returns the code."""
        query: dict[str, str] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "scope": scope,
            "state": "xyz",
        }
        if verifier is not None:
            query["code_challenge"] = challenge(verifier)
            query["code_challenge_method"] = "S256"
        browser = self.browser(username)
        try:
            page = browser.get("/oauth/authorize", params=query)
            assert page.status_code == 200, page.text
            form = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            )
            answer = browser.post("/oauth/authorize", data={**form, "decision": "allow"})
        finally:
            browser.close()
        if redirect == "urn:ietf:wg:oauth:2.0:oob":
            found = re.search(r'id="code" value="([^"]+)"', answer.text)
            assert found, answer.text
            return found.group(1)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(redirect)
        params = parse_qs(urlsplit(location).query)
        assert params["state"] == ["xyz"]
        return params["code"][0]

    def token(self, username: str) -> str:
        """An access token for `username`, through the code flow with PKCE (cached)."""
        if username not in self.tokens:
            client_id, secret = self.register_app()
            verifier = secrets.token_urlsafe(48)
            code = self.authorize(username, client_id, verifier=verifier)
            response = httpx.post(
                self.base + "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]

    def mastodon(self, username: str) -> Mastodon:
        """Mastodon.py signed in as `username`."""
        return Mastodon(access_token=self.token(username), api_base_url=self.base)

    def api(self, username: str | None = None) -> httpx.Client:
        """A plain HTTP client with the member's bearer token, for what Mastodon.py hides."""
        headers = {"Authorization": f"Bearer {self.token(username)}"} if username else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def publish_due(self, seconds: float) -> int:
        """Let `seconds` pass and run the publish jobs that are due."""
        self.clock.advance(seconds)
        return int(self.run(self.app.state.jobs.run_due()))


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def zoe_key() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture
def server(tmp_path: Path, database_url: str, zoe_key: KeyPair) -> Iterator[Running]:
    """A Porch server on a free port, with the clock and jobs in the test's hands.

    Its federation reaches a Mastodon double at mastodon.test (Zoe) instead of the
    network, so searches can resolve people and posts elsewhere."""
    port = free_port()
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        domain=f"localhost:{port}",
        secret_key="test-secret-" + "x" * 40,
        pause_post_seconds=30,
        pause_reply_seconds=20,
        pause_mutual_reply_seconds=20,
        pause_stranger_reply_seconds=20,
        posts_per_day=1000,
        newcomer_posts_per_day=1000,
        public_cache_seconds=0,
        login_attempts_per_5min=1000,
        contact_email="admins@porch.test",
        # Tests of cards and nudges expect them shown; tests/test_holdouts.py holds them back.
        holdout_cards_percent=0,
        holdout_nudges_percent=0,
    )
    clock = FrozenClock()
    double = MastodonDouble(zoe_key)
    fediverse = Fediverse()
    fediverse.apps[MASTODON] = double.app
    app = create_app(
        settings,
        clock=clock,
        apply_migrations=False,
        run_jobs=False,
        federation_transport=fediverse,
    )
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    uv = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(uv.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Porch server did not start")
        time.sleep(0.02)
    try:
        yield Running(f"http://localhost:{port}", app, clock, loop, double)
    finally:
        uv.should_exit = True
        thread.join(30)
        loop.run_until_complete(_settle(loop))
        loop.close()


async def _settle(loop: asyncio.AbstractEventLoop) -> None:
    """End the server's loop as asyncio.run would, and let SQLite's worker threads finish:
    a connection closed during shutdown answers on this loop, and closing the loop
    first makes that thread fail in whichever test runs next."""
    pending = [task for task in asyncio.all_tasks(loop) if task is not asyncio.current_task()]
    ended: list[asyncio.Task[Any]] = []
    # A cancellation that lands while anyio cancels a scope of its own (an event stream
    # asking whether its client is still there) can be swallowed: cancel again until
    # every task has ended, and name any that will not rather than wait for ever.
    deadline = time.monotonic() + 15
    while pending and time.monotonic() < deadline:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
        ended += [task for task in pending if task.done()]
        pending = [task for task in pending if not task.done()]
    await asyncio.gather(*ended, return_exceptions=True)
    assert not pending, f"server tasks that would not end: {pending}"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        "_connection_worker_thread" in thread.name and thread.is_alive()
        for thread in threading.enumerate()
    ):
        await asyncio.sleep(0.02)
    await loop.shutdown_asyncgens()
