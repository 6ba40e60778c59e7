"""Real Porch processes for tests that need several: `porch serve` and `porch worker`
started as an admin starts them, on a PostgreSQL database made for the test, and an
app's streaming connection to read them with. Used by tests/test_scale_out.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from server import ROOT
from tests.conftest import POSTGRES_URL, in_thread


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def said(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Community:
    """Two web processes (a, b) and two workers on one database and one Redis."""

    a: str
    b: str
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    engine: AsyncEngine | None = None
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def session(self) -> AsyncSession:
        assert self.engine is not None
        return AsyncSession(self.engine, expire_on_commit=False)

    def client(self, base: str) -> httpx.AsyncClient:
        """A client of web process `base`, closed with the test (see `close_clients`)."""
        client = httpx.AsyncClient(base_url=base, timeout=10)
        self.clients.append(client)
        return client

    async def close_clients(self) -> None:
        for client in self.clients:
            await client.aclose()
        self.clients.clear()

    async def token(self, member: str) -> str:
        """A bearer token made with `porch token create`, as an admin would."""
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "server.cli", "token", "create", "tests", "--member", member],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def alive(self) -> None:
        for process in self.processes:
            assert process.popen.poll() is None, f"{process.name} exited:\n{process.said()}"


def start_process(name: str, args: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Process(name, popen, log)


def stop_processes(processes: list[Process]) -> None:
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.popen.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(5)


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (migrated by `porch migrate`, not by the test)."""
    admin = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    name = f"porch_scale_{uuid.uuid4().hex[:8]}"

    def run(statement: str) -> None:
        async def go() -> None:
            engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
            async with engine.connect() as connection:
                await connection.execute(text(statement))
            await engine.dispose()

        asyncio.run(go())

    in_thread(lambda: run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        in_thread(lambda: run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def wait_healthy(base: str, processes: list[Process]) -> None:
    """Wait (bounded) until `base` answers its health check."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, timeout=2) as probe:
        while time.monotonic() < deadline:
            for process in processes:
                assert process.popen.poll() is None, f"{process.name}:\n{process.said()}"
            with contextlib.suppress(httpx.TransportError):
                if probe.get("/healthz").status_code == 200:
                    return
            time.sleep(0.1)
    raise AssertionError(f"{base} gave no healthy answer in a minute")


class Stream:
    """An app's streaming connection (SSE, /api/v1/streaming/user), read in the background."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=None)
        self.token = token
        self.updates: list[str] = []
        self.open = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.client.stream("GET", "/api/v1/streaming/user", headers=headers) as got:
            assert got.status_code == 200
            self.open.set()
            event = ""
            async for line in got.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "update":
                    self.updates.append(str(json.loads(line[6:])["id"]))

    async def __aenter__(self) -> Stream:
        self.task = asyncio.create_task(self._read())
        async with asyncio.timeout(10):
            await self.open.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.client.aclose()
