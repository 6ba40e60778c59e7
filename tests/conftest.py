"""Shared fixtures: a real database (SQLite always, PostgreSQL when configured), a Porch
app with a clock the tests move, and HTTP clients that keep their own cookies."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings, load_settings
from server.db import migrate_blocking

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("PORCH_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("PORCH_TEST_REDIS_URL", "")
BASE = "http://localhost:8000"
PASSWORD = "correct horse battery"
T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop (and
    greenlets) on the main thread for as long as its session fixture lives, which the
    asyncio tests must not share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def in_thread(work: Callable[[], T]) -> T:
    """Run blocking set-up (which may call asyncio.run) on its own thread, so it works
    whatever event loop the calling thread has running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def need_service(name: str, url: str) -> None:
    """Skip without the service, except in CI, where its absence is a failure."""
    if url:
        return
    message = f"{name} is not configured (PORCH_TEST_{name.upper()}_URL)"
    if IN_CI:
        pytest.fail(f"{message}; CI must run every test", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id with its cheapest parameters: the same code path, without 64 MiB per hash."""
    from argon2 import PasswordHasher, profiles

    from server.services import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "porch.db"
    in_thread(lambda: migrate_blocking(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    need_service("postgres", POSTGRES_URL)
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    name = f"porch_test_{uuid.uuid4().hex[:8]}"

    async def run(statement: str) -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    in_thread(lambda: asyncio.run(run(f'CREATE DATABASE "{name}"')))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    in_thread(lambda: migrate_blocking(url))
    yield url
    in_thread(lambda: asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)')))


TABLES = (
    "member_preferences, "
    "pile_on_shields, quotes, interaction_requests, post_policies, policy_defaults, "
    "moderation_notices, audit_entries, appeals, account_notes, reported_posts, "
    "moderation_actions, reports, "
    "hidden_replies, feed_entries, feed_floors, post_counters, actor_counters, "
    "ranked_snapshots, reply_facts, thread_signals, "
    "link_opens, "
    "care_events, care_daily, reply_welcomes, "
    "thread_settings, "
    "notification_permissions, notification_policies, thread_mutes, "
    "norm_changes, norm_values, "
    "mail_tokens, outgoing_mails, "
    "web_sessions, oauth_tokens, oauth_codes, oauth_apps, idempotency_keys, bookmarks, mutes, markers, "
    "list_members, lists, "
    "deliveries, outbox_items, received_activities, tombstones, domains, likes, blocks, "
    "attachments, polls, post_edits, notifications, scheduled_publishes, mentions, "
    "post_tags, drafts, posts, follows, actor_keys, members, actors"
)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test that needs the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "porch.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")

    async def truncate() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    in_thread(lambda: asyncio.run(truncate()))
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        domain="localhost:8000",
        secret_key="test-secret-" + "x" * 40,
        pause_post_seconds=30,
        pause_reply_seconds=20,
        # One reply pause for the older tests; tests/test_norms.py sets the others.
        pause_mutual_reply_seconds=20,
        pause_stranger_reply_seconds=20,
        # Generous budgets for the older tests; tests/test_norms.py tests the real ones.
        posts_per_day=1000,
        newcomer_posts_per_day=1000,
        # Tests look at pages right after changing them; tests/test_page_cache.py turns
        # the cache on where it is the subject.
        public_cache_seconds=0,
        # Tests of cards and nudges expect them shown; tests/test_holdouts.py holds them back.
        holdout_cards_percent=0,
        holdout_nudges_percent=0,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    """A running Porch app; jobs run only when a test drains them."""
    application = create_app(settings, clock=clock, apply_migrations=False, run_jobs=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def two_processes(
    settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[Starlette, Starlette]]:
    """Two Porch web apps on one database, hearing each other through Redis."""
    need_service("redis", REDIS_URL)
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    one = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    two = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        for each in (one, two):
            await asyncio.wait_for(each.state.bus.subscribed.wait(), 5)
        yield one, two


@dataclass
class Person:
    """A browser-like client signed in as one member."""

    name: str
    client: httpx.AsyncClient

    async def token(self, page: str = "/compose") -> str:
        return await csrf_from(self.client, page)

    async def post(
        self, text: str, *, visibility: str = "public", reply_to: int | None = None, cw: str = ""
    ) -> int:
        form = {"text": text, "visibility": visibility, "spoiler_text": cw}
        if reply_to is not None:
            form["in_reply_to_id"] = str(reply_to)
        response = await self.client.post("/posts", data={**form, "csrf_token": await self.token()})
        assert response.status_code == 303, response.text
        return int(response.headers["location"].rsplit("/", 1)[1])

    async def log_in(self) -> None:
        """Log in again, as a member does after 30 days away ends their session."""
        token = await csrf_from(self.client, "/login")
        response = await self.client.post(
            "/login", data={"login": self.name, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.text

    async def follow(self, username: str) -> None:
        token = await self.token(f"/@{username}")
        response = await self.client.post(f"/@{username}/follow", data={"csrf_token": token})
        assert response.status_code == 303, response.text


async def csrf_from(client: httpx.AsyncClient, page: str) -> str:
    """The CSRF token of the first form on `page`, as a browser would find it."""
    response = await client.get(page)
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, f"no form with a CSRF token on {page} ({response.status_code})"
    return match.group(1)


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def sign_up(client: httpx.AsyncClient, name: str, *, email: str = "") -> Person:
    """A member signed up through the form on `client`, signed in with its cookies."""
    token = await csrf_from(client, "/signup")
    response = await client.post(
        "/signup",
        data={
            "username": name,
            "email": email or f"{name}@example.com",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text
    return Person(name, client)


@pytest.fixture
async def people(app: Starlette) -> AsyncIterator[dict[str, Person]]:
    """Ana, Ben and Cleo, each signed up and signed in with their own cookies."""
    found = {name: await sign_up(client_for(app), name) for name in ("ana", "ben", "cleo")}
    yield found
    for person in found.values():
        await person.client.aclose()


@pytest.fixture
async def visitor(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Someone who is not logged in."""
    async with client_for(app) as client:
        yield client


async def publish_due(app: Starlette, clock: FrozenClock, seconds: float) -> int:
    """Move the clock on and run the publish jobs that are due, as the worker would."""
    clock.advance(seconds)
    return int(await app.state.jobs.run_due())
