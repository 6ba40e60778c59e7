"""Benchmark inbox ingest: signed Create(Note) POSTs per second one `porch serve` applies.

Run:  /tmp/venv/bin/python tests/bench/bench_inbox.py [--database sqlite|postgres] [--help]

It starts `porch serve` (one uvicorn process, no Redis; SQLite in a temporary data
directory, or with --database postgres a fresh database created at --postgres-url and
dropped at the end) and a tiny "remote server" on another loopback port that serves 50
remote actors (WebFinger, actor documents, each with its own key) and takes
deliveries. A member signs in, finds each remote actor through the web search and
follows them; each answers with a signed Accept. By then Porch has every sender's key
(a warm key cache). A few warm-up posts go first; then N distinct public Create(Note)
activities, taking turns between the senders, all signed before the clock starts, are
POSTed to /inbox over K keep-alive connections by a small raw HTTP/1.1 client (so the
load generator costs little of the shared CPU). It prints accepted (202) per second,
latency percentiles and server CPU, the bare Starlette endpoint measured in the same
run as the ceiling and Porch's share of it, and counts the stored posts afterwards.
Only prints: no timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from federation.signatures import HttpSignatureAuth, KeyPair  # noqa: E402
from tests.bench.bench_serve import (  # noqa: E402
    PASSWORD,
    PORCH,
    READER,
    ROOT,
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    login,
    machine,
    percentile,
)
from tests.bench.ceiling import baseline  # noqa: E402

TARGET_RPS = 400.0
AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
TEXT = "<p>An evening on the porch with tea, a book and a slow conversation #{i}.</p>"
PG_DATABASE = "porch_bench_inbox"


class Remote:
    """A remote server with `count` accounts (a0, a1, …), served from a loopback HTTP
    server in a thread; each account has its own key pair."""

    def __init__(self, count: int) -> None:
        self.port = free_port()
        self.base = f"http://localhost:{self.port}"
        self.names = [f"a{i}" for i in range(count)]
        self.keys = {name: KeyPair.generate() for name in self.names}
        # Loading a private key validates it (tens of ms): one auth per account.
        now = lambda: datetime.now(UTC)  # noqa: E731
        self.auths = {
            name: HttpSignatureAuth(self.actor(name) + "#main-key", key.private_pem, now)
            for name, key in self.keys.items()
        }
        self.received: list[dict] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                found = remote.answer(self.path)
                data = json.dumps(found).encode() if found else b""
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                remote.received.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def actor(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def answer(self, path: str) -> dict | None:
        if path.startswith("/.well-known/webfinger"):
            found = re.search(r"resource=acct(?::|%3A)(a\d+)(?:@|%40)", path)
            if found is None or found[1] not in self.keys:
                return None
            link = {"rel": "self", "type": "application/activity+json"}
            subject = f"acct:{found[1]}@localhost:{self.port}"
            return {"subject": subject, "links": [link | {"href": self.actor(found[1])}]}
        name = path.removeprefix("/users/")
        return self.document(name) if name in self.keys else None

    def document(self, name: str) -> dict:
        actor, key = self.actor(name), self.keys[name].public_pem
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "inbox": actor + "/inbox",
            "followers": actor + "/followers",
            "endpoints": {"sharedInbox": self.base + "/inbox"},
            "publicKey": {"id": actor + "#main-key", "owner": actor, "publicKeyPem": key},
        }

    def create(self, name: str, i: int, published: datetime) -> dict:
        """A public Create(Note); `published` to the second, as Mastodon writes it."""
        actor = self.actor(name)
        note_id, when = f"{actor}/statuses/{i}", f"{published:%Y-%m-%dT%H:%M:%SZ}"
        audience = {"to": [PUBLIC], "cc": [actor + "/followers"], "published": when}
        note = {"id": note_id, "type": "Note", "attributedTo": actor, "url": note_id}
        note |= {"content": TEXT.format(i=i)} | audience
        envelope = {"@context": AS, "id": note_id + "/activity", "type": "Create"}
        return envelope | {"actor": actor, "object": note} | audience

    def signed(self, name: str, url: str, activity: dict) -> httpx.Request:
        request = httpx.Request(
            "POST",
            url,
            content=json.dumps(activity).encode(),
            headers={"Content-Type": "application/activity+json"},
        )
        return next(self.auths[name].auth_flow(request))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class InboxServer(Server):
    """`porch serve` on SQLite in its data directory, or on the PostgreSQL `database_url`."""

    database_url: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.database_url:
            env["PORCH_DATABASE_URL"] = self.database_url
        return env


def query(server: InboxServer, sql: str) -> object:
    """One value from the server's database (SQLite file, or PostgreSQL through asyncpg)."""
    if not server.database_url:
        with sqlite3.connect(server.data_dir / "porch.db") as conn:
            row = conn.execute(sql).fetchone()
        return row[0] if row else None
    return asyncio.run(_pg(server.database_url, sql))


async def _pg(url: str, sql: str) -> object:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def follow_all(server: InboxServer, remote: Remote) -> None:
    """The member searches for each remote account and follows them; each answers the
    Follow with an Accept."""
    with httpx.Client(base_url=server.base, timeout=30.0) as client:
        login(server.base, client)
        for name in remote.names:
            found = client.get("/search", params={"q": f"@{name}@localhost:{remote.port}"})
            if found.status_code != 303:
                raise RuntimeError(f"search for {name} failed: HTTP {found.status_code}")
            profile = found.headers["location"]
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(profile).text)
            if token is None:
                raise RuntimeError(f"no CSRF token on {profile}")
            if client.post(profile + "/follow", data={"csrf_token": token[1]}).status_code != 303:
                raise RuntimeError("the follow form was refused")
        deadline = time.monotonic() + 60
        follows: dict[str, dict] = {}
        while len(follows) < len(remote.names):
            follows = {a["object"]: a for a in remote.received if a.get("type") == "Follow"}
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Porch delivered {len(follows)} Follows, not {len(remote.names)}"
                )
            time.sleep(0.05)
        for name in remote.names:
            actor = remote.actor(name)
            accept = {"@context": AS, "id": actor + "#accepts/1", "type": "Accept"}
            accept |= {"actor": actor, "object": follows[actor]}
            answer = client.send(
                remote.signed(name, server.base + f"/users/{READER}/inbox", accept)
            )
            if answer.status_code != 202:
                raise RuntimeError(f"Accept from {name}: HTTP {answer.status_code}")
    accepted = query(server, "SELECT count(*) FROM follows WHERE state = 'accepted'")
    if accepted != len(remote.names):
        raise RuntimeError(f"{accepted} follows accepted, not {len(remote.names)}")


def raw(request: httpx.Request) -> bytes:
    """The request as HTTP/1.1 bytes on a keep-alive connection."""
    head = [
        f"POST {request.url.raw_path.decode()} HTTP/1.1",
        f"Host: {request.url.netloc.decode()}",
    ]
    head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.content


async def fire_raw(
    port: int, requests: list[bytes], concurrency: int
) -> tuple[list[float], dict, float]:
    """Send every request over `concurrency` keep-alive connections; latencies in ms."""
    timings: list[float] = []
    statuses: dict[int | str, int] = {}
    queue = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                size = re.search(rb"(?i)content-length:\s*(\d+)", head)
                await reader.readexactly(int(size.group(1)) if size else 0)
                timings.append((time.perf_counter() - began) * 1000)
                status = int(head.split(b" ", 2)[1])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return timings, statuses, time.perf_counter() - began


async def fire(requests: list[httpx.Request], concurrency: int) -> tuple[list[float], dict, float]:
    """Send every request over `concurrency` keep-alive connections; latencies in ms."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timings: list[float] = []
    statuses: dict[int | str, int] = {}
    queue = iter(requests)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        began = time.perf_counter()

        async def worker() -> None:
            for request in queue:
                start = time.perf_counter()
                try:
                    status: int | str = (await client.send(request)).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                timings.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return timings, statuses, elapsed


def admin_execute(url: str, statement: str) -> None:
    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--activities", type=int, default=3000, help="timed Create(Note)s")
    options.add_argument("--senders", type=int, default=50, help="remote actors sending them")
    options.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    options.add_argument("--warmup", type=int, default=200, help="untimed Create(Note)s first")
    options.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    options.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PORCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:55432/postgres"
        ),
        help=f"where to create (and drop) the database {PG_DATABASE}",
    )
    options.add_argument("--tool", choices=("auto", "wrk", "asyncio"), default="auto")
    options.add_argument("--log-level", default="info", help="porch serve --log-level")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "asyncio")

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-inbox-"))
    server = InboxServer(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    admin = args.postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    if args.database == "postgres":
        admin_execute(admin, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        admin_execute(admin, f'CREATE DATABASE "{PG_DATABASE}"')
        server.database_url = admin.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    remote = Remote(args.senders)
    os.environ["PORCH_FEDERATION_ALLOW_PRIVATE"] = "localhost"
    print("Porch inbox ingest benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)")
    print(f"  db      {args.database}\n", flush=True)
    try:
        ceiling = baseline(tool, workdir, args.concurrency, 2.0, args.log_level)
        how = {"cwd": ROOT, "env": server.env(), "check": True, "capture_output": True}
        if server.database_url:
            subprocess.run([str(PORCH), "migrate"], **how)
        server.start()
        create = [str(PORCH), "user", "create", READER, "--email", "r@example.com"]
        subprocess.run([*create, "--password-stdin"], input=PASSWORD + "\n", text=True, **how)
        follow_all(server, remote)
        pid = server.pid()
        inbox = server.base + "/inbox"
        # Posts a server taking TARGET_RPS a second gets were written about that fast:
        # give them `published` times spread so (in the past: Porch caps it at now).
        total = args.warmup + args.activities
        start = datetime.now(UTC) - timedelta(seconds=total / TARGET_RPS + 2)
        at = [start + timedelta(seconds=i / TARGET_RPS) for i in range(total)]

        def signed(i: int) -> bytes:
            name = remote.names[i % len(remote.names)]
            return raw(remote.signed(name, inbox, remote.create(name, i, at[i])))

        warm = [signed(i) for i in range(args.warmup)]
        warmed = asyncio.run(fire_raw(server.port, warm, args.concurrency))[1]
        if warmed.get(202) != args.warmup:
            raise RuntimeError(f"warm-up answers: {warmed}")

        began = time.perf_counter()
        requests = [signed(i) for i in range(args.warmup, total)]
        signing = time.perf_counter() - began
        cpu_before = cpu_seconds(pid)
        timings, statuses, elapsed = asyncio.run(fire_raw(server.port, requests, args.concurrency))
        cpu = cpu_seconds(pid) - cpu_before
        stored = query(server, "SELECT count(*) FROM posts WHERE uri IS NOT NULL")
        accepted = statuses.get(202, 0)

        print(
            f"Inbox on {args.database} (POST /inbox, {args.activities} signed public "
            f"Create(Note) taking turns between {len(remote.names)} followed remote actors, "
            f"{args.concurrency} keep-alive connections, {args.warmup} warm-up first; signed "
            f"in {signing:.1f} s beforehand; server log level {args.log_level}):"
        )
        rps = accepted / elapsed
        line("accepted and applied", f"{rps:.0f} /s", f">= {TARGET_RPS:.0f} /s", rps >= TARGET_RPS)
        line("share of the ceiling", ceiling.share(rps), "(info)")
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
        line("answers", answers, f"(in {elapsed:.2f} s)")
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        line("latency p50 / p99 / max", f"{p50:.0f} / {p99:.0f} / {max(timings):.0f} ms", "(info)")
        line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
        line("server CPU per activity", f"{cpu / len(timings) * 1000:.2f} ms", "(info)")
        line("posts stored (incl. warm-up)", f"{stored} / {total}", "all", stored == total)
    finally:
        server.stop()
        remote.stop()
        if server.database_url and not args.keep:
            admin_execute(admin, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
