"""Benchmark pushed streaming: idle streaming connections, and one post reaching them all.

Run:  /tmp/venv/bin/python tests/bench/bench_stream.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory, a
1 s pause before posts), makes an author and one reader per four connections (each
reader follows the author and holds one token; a token may hold four connections), and
opens --connections streams on the user timeline, half SSE and half WebSocket. It then
measures the server's CPU while the connections sit idle for --idle seconds, publishes
one public post by the author, and measures how long until every connection received
it, counted from the moment the post was published. It also measures the bare Starlette
ceiling (tests/bench/ceiling.py) and prints the machine. Only prints: no timing
assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import (  # noqa: E402
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    machine,
)
from tests.bench.ceiling import Ceiling, baseline  # noqa: E402

TARGET_IDLE_CPU = 5.0  # % of one core
TARGET_FAN_OUT_S = 1.0
PER_TOKEN = 4


async def make_readers(data_dir: Path, domain: str, readers: int) -> tuple[str, list[str]]:
    """The author's token, and one token per reader; each reader follows the author."""
    from argon2 import PasswordHasher, profiles

    from server.clock import Clock
    from server.config import load_settings
    from server.db import make_engine, make_sessions
    from server.services import accounts, follows, oauth_tokens, passwords

    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)  # bench only
    settings = load_settings(data_dir=data_dir, domain=domain)
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    now = Clock().now()
    tokens = []
    try:
        async with sessions() as session:
            author = await accounts.create_member(
                session, username="author", email="author@example.com",
                password="bench-password-123", now=now,
            )  # fmt: skip
            assert author.member.id is not None
            author_token = (
                await oauth_tokens.create_token(
                    session, author.member.id, "bench", "read write", now
                )
            ).access_token
            for n in range(readers):
                reader = await accounts.create_member(
                    session, username=f"reader{n}", email=f"reader{n}@example.com",
                    password="bench-password-123", now=now,
                )  # fmt: skip
                assert reader.member.id is not None
                await follows.follow(session, reader.actor, author.actor, now)
                issued = await oauth_tokens.create_token(
                    session, reader.member.id, "bench", "read", now
                )
                tokens.append(issued.access_token)
    finally:
        await engine.dispose()
    return author_token, tokens


class Received:
    """When each connection received the post."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self.ready = 0
        self.failed: list[str] = []


async def sse_reader(n: int, base: str, token: str, got: Received) -> None:
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=None, limits=limits) as client:
        headers = {"Authorization": f"Bearer {token}"}
        async with client.stream("GET", "/api/v1/streaming/user", headers=headers) as response:
            if response.status_code != 200:
                got.failed.append(f"SSE HTTP {response.status_code}: {await response.aread()!r}")
                return
            got.ready += 1
            async for item in response.aiter_lines():
                if item.startswith("event: update"):
                    got.at[n] = time.time()
                    return


async def ws_reader(n: int, base: str, token: str, got: Received) -> None:
    url = base.replace("http://", "ws://") + f"/api/v1/streaming?stream=user&access_token={token}"
    try:
        async with connect(url, open_timeout=60, max_size=None) as socket:
            got.ready += 1
            async for raw in socket:
                if json.loads(raw).get("event") == "update":
                    got.at[n] = time.time()
                    return
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        got.failed.append(f"WebSocket: {exc!r}")


def published_at(data_dir: Path, post_id: str) -> float:
    with sqlite3.connect(data_dir / "porch.db") as db:
        row = db.execute("SELECT published_at FROM posts WHERE id = ?", (int(post_id),)).fetchone()
    stamp = datetime.fromisoformat(str(row[0]))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


async def run(server: Server, args: argparse.Namespace, ceiling: Ceiling | None) -> None:
    readers = max(1, -(-args.connections // PER_TOKEN))
    started = time.perf_counter()
    author_token, tokens = await make_readers(server.data_dir, f"localhost:{server.port}", readers)
    print(f"Made {readers} readers and their tokens in {time.perf_counter() - started:.1f} s")
    got = Received()
    tasks = []
    for n in range(args.connections):
        token = tokens[n // PER_TOKEN]
        reader = sse_reader if n % 2 == 0 else ws_reader
        tasks.append(asyncio.create_task(reader(n, server.base, token, got)))
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # let the server accept in batches
    deadline = time.monotonic() + 120
    while got.ready + len(got.failed) < args.connections and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    print(f"Open: {got.ready} of {args.connections} connections; refused: {len(got.failed)}")
    for reason in sorted(set(got.failed))[:5]:
        print(f"  {reason}")
    pid = server.pid()
    await asyncio.sleep(2)  # let the opening settle
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(args.idle)
    idle_cpu = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - wall_before) * 100
    line(
        f"server CPU, {got.ready} idle connections, {args.idle:.0f} s",
        f"{idle_cpu:.2f} %",
        f"< {TARGET_IDLE_CPU:.0f} % of a core",
        idle_cpu < TARGET_IDLE_CPU,
    )
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
        answer = await client.post(
            "/api/v1/statuses",
            data={"status": "Soup is ready", "visibility": "public"},
            headers={"Authorization": f"Bearer {author_token}"},
        )
        answer.raise_for_status()
        post_id = answer.json()["id"]
    cpu_before = cpu_seconds(pid)
    deadline = time.monotonic() + 30
    while len(got.at) < got.ready and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fan_cpu = cpu_seconds(pid) - cpu_before
    out_at = published_at(server.data_dir, post_id)
    if got.at:
        first, last = min(got.at.values()) - out_at, max(got.at.values()) - out_at
        line(
            f"post reached {len(got.at)} of {got.ready} connections",
            f"all within {last:.3f} s",
            f"< {TARGET_FAN_OUT_S:.0f} s",
            len(got.at) == got.ready and last < TARGET_FAN_OUT_S,
        )
        line("first connection after", f"{first:.3f} s", "(from publishing)")
        line("server CPU for the fan-out", f"{fan_cpu:.2f} s", "(info)")
        rate = len(got.at) / max(last, 1e-3)
        line("deliveries per second (all / last)", f"{rate:.0f} /s", "(info)")
        if ceiling is not None:
            line("share of the ceiling (one delivery = one request)", ceiling.share(rate), "(info)")
    else:
        line("post reached", "no connection", f"< {TARGET_FAN_OUT_S:.0f} s", False)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--connections", type=int, default=1000)
    options.add_argument("--idle", type=float, default=60.0, help="idle seconds measured")
    options.add_argument("--log-level", default="warning", help="porch serve --log-level")
    options.add_argument("--no-baseline", action="store_true", help="skip the bare-app run")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.connections + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the server inherits it
    os.environ.update(
        PORCH_PAUSE_POST_SECONDS="1",
        PORCH_STREAMS_PER_ADDRESS=str(args.connections + 10),
    )
    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-stream-"))
    server = Server(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    print("Porch streaming benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)")
    print(f"  files   {wanted} open files allowed\n")
    try:
        ceiling = None
        if not args.no_baseline:
            tool = "wrk" if shutil.which("wrk") else "asyncio"
            ceiling = baseline(tool, workdir, 16, 2.0, "warning")
        server.start()
        print(
            f"{args.connections} streams on the user timeline (half SSE, half WebSocket), "
            f"one uvicorn process, SQLite:"
        )
        asyncio.run(run(server, args, ceiling))
    finally:
        server.stop()
        print(f"Load average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
