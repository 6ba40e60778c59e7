"""Outages are waited out: with PostgreSQL or Redis away, Porch answers 503 (or carries on
without Redis) instead of 500, and recovers by itself when the service is back."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from hashlib import sha256
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import exc as sa_exc
from starlette.applications import Starlette

from server import jobs, ratelimit
from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.db import unavailable
from server.models import Post, PostState
from server.outages import reconnect_delay
from tests.conftest import REDIS_URL, client_for, csrf_from, need_service, sign_up

PASSWORD = "correct horse battery"


def closed_port() -> int:
    """A loopback port where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    """Wait until `check` holds: real processes take real time, bounded here."""
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.05)
    assert await check(), what


class Cable:
    """A TCP proxy in front of a real server that a test can unplug and plug back in:
    unplugged, open connections are cut and new ones refused, as when the server stops."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = closed_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def plug_in(self) -> None:
        self._server = await asyncio.start_server(
            self._connect, "127.0.0.1", self.port, reuse_address=True
        )

    async def unplug(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()
        self._server = None

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        self._writers.discard(writer)
        writer.transport.abort()


def through(url: str, port: int) -> str:
    """`url` with its host and port replaced by 127.0.0.1:`port`."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.TooManyConnectionsError("too many clients"), True),
        (sa_exc.OperationalError("INSERT", {}, Exception("database is locked")), True),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), False),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (FileNotFoundError(2, "No such file"), False),
        (OSError(28, "No space left on device"), False),  # saving an upload: a fault
        (ValueError("bad"), False),
    ],
)
def test_outages_are_told_from_faults(error: BaseException, outage: bool) -> None:
    """What means "the database is away or busy, try again" (503) and what is a fault."""
    assert unavailable(error) is outage
    # As SQLAlchemy wraps a driver's error (in `orig`), and as code re-raises one.
    assert unavailable(sa_exc.DBAPIError("SELECT 1", {}, error)) is outage  # type: ignore[arg-type]
    raised_from = RuntimeError("while reading")
    raised_from.__cause__ = error
    assert unavailable(raised_from) is outage


def test_reconnecting_backs_off_with_jitter_up_to_a_cap() -> None:
    delays = [reconnect_delay(attempt) for attempt in range(1, 12)]
    assert 0.25 <= delays[0] <= 0.5
    assert all(15 <= delay <= 30 for delay in delays[8:])
    assert len({reconnect_delay(9) for _ in range(5)}) > 1  # not in step


@pytest.fixture
async def cable(database_url: str) -> AsyncIterator[Cable]:
    parts = urlsplit(database_url)
    wire = Cable(parts.hostname or "127.0.0.1", parts.port or 5432)
    await wire.plug_in()
    yield wire
    if wire._server is not None:
        await wire.unplug()


@pytest.fixture
async def wired_app(
    settings: Settings, clock: FrozenClock, cable: Cable
) -> AsyncIterator[Starlette]:
    """Porch talking to PostgreSQL through the cable."""
    wired = settings.model_copy(update={"database_url": through(settings.database_url, cable.port)})
    application = create_app(wired, clock=clock, apply_migrations=False, run_jobs=False)
    async with application.router.lifespan_context(application):
        yield application


ACTIVITY = (
    b'{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://mastodon.example'
    b'/users/bo#follows/1", "type": "Follow", "actor": "https://mastodon.example/users/bo",'
    b' "object": "http://localhost:8000/users/ana"}'
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_with_postgresql_away_every_door_answers_503_and_recovers(
    wired_app: Starlette, cable: Cable, caplog: pytest.LogCaptureFixture
) -> None:
    """Ana is signed in and a visitor is about to log in when PostgreSQL goes away:
    pages, the API, the inbox, the login and /healthz say 503 with Retry-After (never
    500), and when it comes back everything works again without a restart."""
    ana = await sign_up(client_for(wired_app), "ana")
    visitor = client_for(wired_app)
    token = await csrf_from(visitor, "/login")
    await cable.unplug()

    pages = {
        "/": await visitor.get("/"),
        "/home (Ana)": await ana.client.get("/@ana"),
        "/api/v1/timelines/public": await visitor.get("/api/v1/timelines/public"),
        "/login": await visitor.post(
            "/login", data={"login": "ana", "password": PASSWORD, "csrf_token": token}
        ),
        "/users/ana/inbox": await visitor.post(
            "/users/ana/inbox",
            content=ACTIVITY,
            headers={"content-type": "application/activity+json"},
        ),
        "/inbox": await visitor.post(
            "/inbox",
            content=ACTIVITY,
            headers={
                "content-type": "application/activity+json",
                "date": formatdate(usegmt=True),
                "digest": "SHA-256=" + base64.b64encode(sha256(ACTIVITY).digest()).decode(),
                "signature": 'keyId="https://mastodon.example/users/bo#main-key",'
                'headers="(request-target) host date digest",signature="AAAA"',
            },
        ),
        "/healthz": await visitor.get("/healthz"),
    }
    for name, response in pages.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:200])
        assert int(response.headers["retry-after"]) > 0, name
    assert "cannot reach its database" in pages["/"].text
    assert pages["/api/v1/timelines/public"].json()["error"].startswith("Porch cannot reach")
    assert pages["/users/ana/inbox"].json()["error"]
    assert pages["/inbox"].headers["content-type"].startswith("application/json")
    assert pages["/healthz"].text == "database: unreachable"
    # A page that does not exist is still a 404 page, rendered without the database.
    assert (await visitor.get("/nothing/here")).status_code == 404

    await cable.plug_in()
    assert (await visitor.get("/healthz")).text == "ok"
    assert (await visitor.get("/")).status_code == 200
    assert (await ana.client.get("/@ana")).status_code == 200
    logged_in = await visitor.post(
        "/login", data={"login": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 303
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await ana.client.aclose()
    await visitor.aclose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_porch_waits_at_start_for_postgresql(
    settings: Settings, clock: FrozenClock, cable: Cable, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL is still starting when Porch does (as when compose starts both): the
    web process waits for it, says so once, and starts when it answers."""
    await cable.unplug()
    wired = settings.model_copy(update={"database_url": through(settings.database_url, cable.port)})
    application = create_app(wired, clock=clock, apply_migrations=False, run_jobs=False)
    started, done = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with application.router.lifespan_context(application):
            started.set()
            await done.wait()

    serving = asyncio.create_task(serve())
    try:

        async def waiting() -> bool:
            assert not serving.done() or serving.result()
            return any("database is unreachable" in r.getMessage() for r in caplog.records)

        await eventually(waiting, "Porch said it waits for the database")
        assert not started.is_set()
        await cable.plug_in()
        async with asyncio.timeout(20):
            await started.wait()
        async with client_for(application) as visitor:
            assert (await visitor.get("/healthz")).text == "ok"
    finally:
        done.set()
        await serving
    said = [r.getMessage() for r in caplog.records if r.name == "server.db"]
    assert len(said) == 2 and said[1] == "The database is reachable again"


@pytest.fixture
async def redis_away_app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Starlette]:
    """Porch configured with a Redis where nothing answers."""
    configured = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0", "login_attempts_per_5min": 3}
    )
    application = create_app(configured, clock=clock, apply_migrations=False)
    async with application.router.lifespan_context(application):
        yield application


async def state_of(app: Starlette, post_id: int) -> str:
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return str(post.state)


async def test_with_redis_away_posting_and_logging_in_go_on(
    redis_away_app: Starlette, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is down when Porch starts: Ana still posts (the row is the truth, and the
    worker's database sweep publishes it), logs out and in, and login limits still hold,
    counted in the web process."""
    app = redis_away_app
    ana = await sign_up(client_for(app), "ana")
    post_id = await ana.post("Written while Redis was away")
    assert await state_of(app, post_id) == PostState.pending

    await ana.client.post("/logout", data={"csrf_token": await ana.token("/")})
    token = await csrf_from(ana.client, "/login")
    back_in = await ana.client.post(
        "/login", data={"login": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert back_in.status_code == 303
    async with client_for(app) as guesser:
        token = await csrf_from(guesser, "/login")
        statuses = [
            (
                await guesser.post(
                    "/login", data={"login": "ana", "password": "wrong", "csrf_token": token}
                )
            ).status_code
            for _ in range(3)
        ]
        assert statuses == [422, 422, 429]  # Ana's own login was the first attempt

    health = await ana.client.get("/healthz")
    assert health.status_code == 200
    assert health.text.startswith("ok\nredis: unreachable")

    clock.advance(31)
    assert await jobs.publish_due(app.state.sessions, clock) == 1
    assert await state_of(app, post_id) == PostState.published
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    said = [r.getMessage() for r in caplog.get_records("setup") + caplog.records]
    lost = [line for line in said if "Redis is unreachable" in line]
    assert len(lost) == 2  # once for the queue (at start), once for the login limits
    await ana.client.aclose()


async def test_login_limits_count_in_memory_until_redis_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two web processes share login limits through Redis. While the first cannot reach
    it, it counts attempts itself (the limit still holds); when Redis is back, the two
    count together again."""
    need_service("redis", REDIS_URL)
    monkeypatch.setattr(ratelimit, "RETRY_REDIS_SECONDS", 0.0)  # ask Redis every time
    direct = Redis.from_url(REDIS_URL)
    await direct.flushdb()
    await direct.aclose()
    parts = urlsplit(REDIS_URL)
    cable = Cable(parts.hostname or "127.0.0.1", parts.port or 6379)
    await cable.plug_in()
    first = ratelimit.RateLimits(through(REDIS_URL, cable.port), 2)
    second = ratelimit.RateLimits(REDIS_URL, 2)
    try:
        await cable.unplug()
        assert await first.login_attempt("192.0.2.1", "ana") == 0
        assert await first.login_attempt("192.0.2.1", "ana") == 0
        assert await first.login_attempt("192.0.2.1", "ana") > 0  # held in memory
        await cable.plug_in()
        assert await second.login_attempt("192.0.2.1", "ben") == 0
        assert await first.login_attempt("192.0.2.1", "ben") == 0
        assert await second.login_attempt("192.0.2.1", "ben") > 0  # counted together
    finally:
        await first.close()
        await second.close()
        if cable._server is not None:  # a failed check may have left it unplugged
            await cable.unplug()
