"""Benchmark fan-out: one post delivered to 5,000 remote followers on 500 servers.

Run:  /tmp/venv/bin/python tests/bench/bench_fanout.py [--help]

Porch runs in-process (create_app, SQLite in a temporary data directory, jobs drained by
hand). 500 remote domains with 10 followers each, all sharing https://dN.test/inbox, are
inserted straight into the database. A member posts (pause 0), the post is published,
and then federation.jobs.run_due is timed until every delivery row is delivered. Every
outgoing request goes to one sink: a plain asyncio HTTP server in a child process that
answers 202 and records each POST; its Signature is verified afterwards against the
member's key. By default each delivery opens a fresh connection, as 500 different
servers would (--keepalive reuses them). Only prints: no timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import line, loadavg, machine  # noqa: E402

TARGET_SECONDS = 10.0
Record = tuple[float, str, str, dict[str, str], bytes]


# --------------------------------------------------------------------------- the sink


def sink_main(conn: object) -> None:
    """Child process: answer 202 to everything, record POSTs, send them back when asked."""
    records: list[Record] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                headers = {}
                for text in head[1:]:
                    if text:
                        name, _, value = text.partition(":")
                        headers[name.strip().lower()] = value.strip()
                size = int(headers.get("content-length", "0"))
                body = await reader.readexactly(size) if size else b""
                if method == "POST":
                    records.append((time.monotonic(), method, target, headers, body))
                close = headers.get("connection", "").lower() == "close"
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        conn.send(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # type: ignore[attr-defined]
        server.close()
        conn.send(records)  # type: ignore[attr-defined]

    asyncio.run(run())


class ToSink(httpx.AsyncBaseTransport):
    """Sends every request to the sink, keeping the Host header (and so the signature)."""

    def __init__(self, port: int, keepalive: bool) -> None:
        self.port = port
        keep = 64 if keepalive else 0
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=keep)
        self.inner = httpx.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --------------------------------------------------------------------------- the run


async def seed(app: object, domains: int, per_domain: int) -> object:
    from sqlalchemy import insert

    from server.clock import Clock
    from server.models import Actor, Follow, FollowState
    from server.services import accounts

    state = app.state  # type: ignore[attr-defined]
    now = Clock().now()
    async with state.sessions() as session:
        member = await accounts.create_member(
            session, username="ana", email="ana@example.com", password="bench-pass-1234", now=now
        )
    common = {"display_name": "", "bio": "", "locked": False, "created_at": now}
    common |= {"actor_type": "Person", "discoverable": True, "fetched_at": now}
    rows = []
    for host, u in ((f"d{d}.test", u) for d in range(domains) for u in range(per_domain)):
        uri = f"https://{host}/users/u{u}"
        rows.append(
            common
            | {"username": f"u{u}", "domain": host, "acct_key": f"u{u}@{host}", "uri": uri}
            | {"inbox_url": uri + "/inbox", "shared_inbox_url": f"https://{host}/inbox"}
            | {"followers_url": uri + "/followers"}
        )
    async with state.engine.begin() as conn:
        await conn.execute(insert(Actor.__table__), rows)  # type: ignore[attr-defined]
        ids = (await conn.exec_driver_sql("SELECT id FROM actors WHERE domain IS NOT NULL")).all()
        follow = {"followed_id": member.actor.id, "state": FollowState.accepted, "created_at": now}
        follows = [follow | {"follower_id": i} for (i,) in ids]
        await conn.execute(insert(Follow.__table__), follows)  # type: ignore[attr-defined]
    return member.actor


async def measure(
    args: argparse.Namespace, port: int, workdir: Path
) -> tuple[float, float, int, dict[str, int], str]:
    """(start on the monotonic clock, seconds, run_due rounds, delivery states, public key)."""
    from federation import jobs as federation_jobs
    from federation.keys import local_key
    from server.app import create_app
    from server.clock import Clock
    from server.config import load_settings
    from server.jobs import publish_due
    from server.services import posts

    settings = load_settings(
        data_dir=workdir,
        domain="porch.test",
        secret_key="bench-secret-" + "x" * 40,
        pause_post_seconds=0,
        public_cache_seconds=0,
    )
    transport = ToSink(port, args.keepalive)
    clock = Clock()
    app = create_app(
        settings, clock=clock, apply_migrations=True, run_jobs=False, federation_transport=transport
    )
    async with app.router.lifespan_context(app):
        state = app.state
        actor = await seed(app, args.domains, args.per_domain)
        # A member who posts has a signing key already: make it before the clock starts.
        async with state.sessions() as session:
            key = await local_key(session, state.federation.urls, actor)
            await state.federation.auth_for(actor)
            draft = posts.Composition(text="Tea on the porch tonight, everyone welcome. #porch")
            await posts.compose(
                session, state.jobs, state.remote_lookup, actor, draft, state.rules, clock.now()
            )
        if await publish_due(state.sessions, clock) != 1:
            raise RuntimeError("the post was not published")

        rounds = 0
        began = time.monotonic()
        deadline = began + args.budget
        states: dict[str, int] = {}
        while time.monotonic() < deadline:
            rounds += 1
            if not await federation_jobs.run_due(state.federation):
                await asyncio.sleep(0.05)  # retries are due later: do not spin
            async with state.engine.connect() as conn:
                counted = await conn.exec_driver_sql(
                    "SELECT state, count(*) FROM deliveries GROUP BY state"
                )
                states = dict(counted.all())  # type: ignore[arg-type]
            if states and "pending" not in states:
                break
        elapsed = time.monotonic() - began
    return began, elapsed, rounds, states, key.public_pem


def verify(records: list[Record], public_pem: str) -> tuple[Counter[str], int]:
    """Requests per Host, and how many carry a Signature that verifies with the key."""
    from federation.signatures import IncomingRequest, parse_signature, verify_signature

    hosts: Counter[str] = Counter()
    valid = 0
    now = datetime.now(UTC)
    for _, method, target, headers, body in records:
        hosts[headers.get("host", "")] += 1
        path, _, query = target.partition("?")
        request = IncomingRequest(method, path, query, headers, body)
        try:
            verify_signature(request, parse_signature(request), public_pem, now)
            valid += 1
        except Exception:  # noqa: BLE001 - any failure counts as invalid
            pass
    return hosts, valid


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--domains", type=int, default=500)
    options.add_argument("--per-domain", type=int, default=10, help="followers per domain")
    options.add_argument("--keepalive", action="store_true", help="reuse sink connections")
    options.add_argument("--budget", type=float, default=300.0, help="give up after seconds")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-fanout-"))
    print("Porch fan-out benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    ours, theirs = multiprocessing.Pipe()
    sink = multiprocessing.get_context("spawn").Process(target=sink_main, args=(theirs,))
    sink.start()
    try:
        port = ours.recv()
        began, elapsed, rounds, states, public_pem = asyncio.run(measure(args, port, workdir))
        ours.send("report")
        records: list[Record] = ours.recv()
        hosts, valid = verify(records, public_pem)
        delivered = states.get("delivered", 0)
        arrivals = sorted(r[0] - began for r in records) or [0.0]
        followers = args.domains * args.per_domain
        print(
            f"Fan-out (one public post by @ana to {followers} followers on {args.domains} "
            f"domains via shared inboxes; {'kept-alive' if args.keepalive else 'fresh'} "
            f"connections to the sink; {rounds} run_due rounds):"
        )
        ok = elapsed < TARGET_SECONDS and delivered == args.domains
        line("time to deliver all", f"{elapsed:.2f} s", f"< {TARGET_SECONDS:.0f} s", ok)
        rows = ", ".join(f"{k}: {v}" for k, v in sorted(states.items()))
        line("delivery rows", rows, f"{args.domains} delivered", delivered == args.domains)
        line("deliveries per second", f"{delivered / elapsed:.0f} /s", "(info)")
        line("first POST at the sink", f"+{arrivals[0]:.2f} s", "(info: ~ fan-out cost)")
        line("last POST at the sink", f"+{arrivals[-1]:.2f} s", "(info)")
        once = sum(1 for n in hosts.values() if n == 1)
        posts = len(records)
        line("POSTs at the sink", str(posts), f"{args.domains}", posts == args.domains)
        line("hosts with exactly one", str(once), f"{args.domains}", once == args.domains)
        line("signatures that verify", str(valid), f"{len(records)}", valid == len(records))
    finally:
        if sink.is_alive():
            sink.terminate()
        sink.join(5)
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
