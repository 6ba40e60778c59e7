"""Several Porch instances in one process, connected by a transport that routes by host."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from federation import jobs as federation_jobs
from server.app import create_app
from server.clock import FrozenClock
from server.config import load_settings
from server.db import migrate_blocking
from server.jobs import publish_due
from tests.conftest import POSTGRES_URL, TABLES, Person, in_thread, need_service, sign_up


class Fediverse(httpx.AsyncBaseTransport):
    """Carries requests to the instance named by the URL's host and records every POST."""

    def __init__(self) -> None:
        self.apps: dict[str, Starlette] = {}
        self.posts: list[tuple[str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps.get(request.url.host)
        if app is None:
            raise httpx.ConnectError(f"no server at {request.url.host}", request=request)
        if request.method == "POST":
            body = await request.aread()
            self.posts.append((str(request.url), body))
        return await httpx.ASGITransport(app=app).handle_async_request(request)


@dataclass
class Instance:
    domain: str
    app: Starlette
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"https://{self.domain}"

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base)

    async def sign_up(self, name: str, *, locked: bool = False) -> Person:
        client = self.client()
        person = await sign_up(
            client, name, email=f"{name}.{self.domain.split('.')[0]}@example.com"
        )
        self.people[name] = person
        if locked:
            token = await person.token("/settings/profile")
            response = await client.post(
                "/settings/profile",
                data={"display_name": name, "bio": "", "locked": "on", "csrf_token": token},
            )
            assert response.status_code == 303, response.text
        return person


async def run_jobs(app: Starlette, clock: FrozenClock) -> int:
    """One round of an instance's background work, as its job loops run it: publish
    what is due, then fan out, deliver and fetch. Returns how much was done."""
    published = await publish_due(app.state.sessions, clock)
    return published + await federation_jobs.run_due(app.state.federation)


@dataclass
class World:
    net: Fediverse
    clock: FrozenClock
    instances: dict[str, Instance]

    async def settle(self, seconds: float = 0) -> None:
        """Move the clock on, then run every instance's jobs until nothing is left to do."""
        self.clock.advance(seconds)
        for _ in range(20):
            done = 0
            for instance in self.instances.values():
                done += await run_jobs(instance.app, self.clock)
            if done == 0:
                return
        raise AssertionError("jobs kept finding work after 20 rounds")


async def start_instance(
    stack: AsyncExitStack,
    tmp_path: Path,
    sqlite_template: Path,
    domain: str,
    net: Fediverse,
    clock: FrozenClock,
    database_url: str | None = None,
) -> Starlette:
    """A running Porch for `domain` on its own copy of the migrated SQLite database (or
    on `database_url`), reachable through `net`; it stops when `stack` closes."""
    folder = tmp_path / domain
    folder.mkdir()
    if database_url is None:
        shutil.copy(sqlite_template, folder / "porch.db")
        database_url = f"sqlite+aiosqlite:///{folder / 'porch.db'}"
    settings = load_settings(
        data_dir=folder,
        database_url=database_url,
        domain=domain,
        secret_key="test-secret-" + "x" * 40,
        public_cache_seconds=0,
        # Every reply waits the one reply pause the flows expect.
        pause_mutual_reply_seconds=20,
        pause_stranger_reply_seconds=20,
        posts_per_day=1000,
        newcomer_posts_per_day=1000,
        # Tests of cards and nudges expect them shown; tests/test_holdouts.py holds them back.
        holdout_cards_percent=0,
        holdout_nudges_percent=0,
    )
    app = create_app(
        settings, clock=clock, apply_migrations=False, run_jobs=False, federation_transport=net
    )
    await stack.enter_async_context(app.router.lifespan_context(app))
    net.apps[domain] = app
    return app


@pytest.fixture
async def world(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[World]:
    """Two Porch servers, porch-a.test and porch-b.test, sharing a clock and a network.

    Federation behaves the same on either database, so these run on SQLite only; the
    services they call are covered on PostgreSQL by the rest of the suite.
    """
    net, clock = Fediverse(), FrozenClock()
    instances: dict[str, Instance] = {}
    async with AsyncExitStack() as stack:
        for domain in ("porch-a.test", "porch-b.test"):
            app = await start_instance(stack, tmp_path, sqlite_template, domain, net, clock)
            instances[domain] = Instance(domain, app)
        yield World(net, clock, instances)
        for instance in instances.values():
            for person in instance.people.values():
                await person.client.aclose()


async def _run_sql(url: str, statement: str, *, autocommit: bool = False) -> None:
    engine = create_async_engine(url, **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def second_postgres_database() -> Iterator[str]:
    """Another PostgreSQL database for the session, migrated once, for a second instance."""
    need_service("postgres", POSTGRES_URL)
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    name = f"porch_test_b_{uuid.uuid4().hex[:8]}"
    in_thread(
        lambda: asyncio.run(_run_sql(admin_url, f'CREATE DATABASE "{name}"', autocommit=True))
    )
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    in_thread(lambda: migrate_blocking(url))
    yield url
    drop = f'DROP DATABASE "{name}" WITH (FORCE)'
    in_thread(lambda: asyncio.run(_run_sql(admin_url, drop, autocommit=True)))


@pytest.fixture
async def world_on(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, database_url: str
) -> AsyncIterator[World]:
    """porch-a.test and porch-b.test, both on SQLite or both on PostgreSQL (each its own
    database), for the flows where what the database hands out matters."""
    second: str | None = None
    if not database_url.startswith("sqlite"):
        second = request.getfixturevalue("second_postgres_database")
        truncate = f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"
        await _run_sql(second, truncate)
    urls = {"porch-a.test": None if second is None else database_url, "porch-b.test": second}
    net, clock = Fediverse(), FrozenClock()
    instances: dict[str, Instance] = {}
    async with AsyncExitStack() as stack:
        for domain, url in urls.items():
            app = await start_instance(stack, tmp_path, sqlite_template, domain, net, clock, url)
            instances[domain] = Instance(domain, app)
        yield World(net, clock, instances)
        for instance in instances.values():
            for person in instance.people.values():
                await person.client.aclose()
