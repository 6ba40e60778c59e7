"""Benchmark inbox ingest: signed Create(Note) POSTs per second one `porch serve` applies.

Run:  /tmp/venv/bin/python tests/bench/bench_inbox.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory, no
Redis) and a tiny "remote server" on another loopback port that serves the sender's
WebFinger and actor document and takes deliveries. A member signs in, finds the sender
through the web search, follows them; the sender answers with a signed Accept. By then
Porch has the sender's key (a warm key cache). A few warm-up posts go first; then N
distinct public Create(Note) activities, all signed before the clock starts, are POSTed
to /inbox over K keep-alive connections. It prints accepted (202) per second, latency
percentiles and server CPU, and counts the stored posts in the database afterwards.
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

TARGET_RPS = 400.0
AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
TEXT = "<p>An evening on the porch with tea, a book and a slow conversation #{i}.</p>"


class Sender:
    """A remote account, zoe, served from a loopback HTTP server in a thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://localhost:{self.port}"
        self.actor = f"{self.base}/users/zoe"
        self.keys = KeyPair.generate()
        # Loading a private key validates it (tens of ms): one auth signs everything.
        now = lambda: datetime.now(UTC)  # noqa: E731
        self.auth = HttpSignatureAuth(self.actor + "#main-key", self.keys.private_pem, now)
        self.received: list[dict] = []
        sender = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                link = {"rel": "self", "type": "application/activity+json", "href": sender.actor}
                finger = {"subject": f"acct:zoe@localhost:{sender.port}", "links": [link]}
                found = {"/users/zoe": sender.document()}.get(self.path)
                if self.path.startswith("/.well-known/webfinger"):
                    found = finger
                data = json.dumps(found).encode() if found else b""
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sender.received.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def document(self) -> dict:
        actor, key = self.actor, self.keys.public_pem
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "zoe",
            "inbox": actor + "/inbox",
            "followers": actor + "/followers",
            "endpoints": {"sharedInbox": self.base + "/inbox"},
            "publicKey": {"id": actor + "#main-key", "owner": actor, "publicKeyPem": key},
        }

    def create(self, i: int, published: datetime) -> dict:
        """A public Create(Note); `published` to the second, as Mastodon writes it."""
        note_id, when = f"{self.actor}/statuses/{i}", f"{published:%Y-%m-%dT%H:%M:%SZ}"
        audience = {"to": [PUBLIC], "cc": [self.actor + "/followers"], "published": when}
        note = {"id": note_id, "type": "Note", "attributedTo": self.actor, "url": note_id}
        note |= {"content": TEXT.format(i=i)} | audience
        envelope = {"@context": AS, "id": note_id + "/activity", "type": "Create"}
        return envelope | {"actor": self.actor, "object": note} | audience

    def signed(self, url: str, activity: dict) -> httpx.Request:
        request = httpx.Request(
            "POST",
            url,
            content=json.dumps(activity).encode(),
            headers={"Content-Type": "application/activity+json"},
        )
        return next(self.auth.auth_flow(request))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def query(db: Path, sql: str) -> object:
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def follow_sender(server: Server, sender: Sender) -> None:
    """The member searches for zoe, follows her; zoe answers the Follow with an Accept."""
    with httpx.Client(base_url=server.base, timeout=30.0) as client:
        login(server.base, client)
        found = client.get("/search", params={"q": f"@zoe@localhost:{sender.port}"})
        if found.status_code != 303:
            raise RuntimeError(f"search for zoe failed: HTTP {found.status_code}")
        profile = found.headers["location"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(profile).text)
        if token is None:
            raise RuntimeError(f"no CSRF token on {profile}")
        if client.post(profile + "/follow", data={"csrf_token": token[1]}).status_code != 303:
            raise RuntimeError("the follow form was refused")
        deadline = time.monotonic() + 30
        while not any(a.get("type") == "Follow" for a in sender.received):
            if time.monotonic() > deadline:
                raise RuntimeError("Porch never delivered the Follow")
            time.sleep(0.05)
        follow = next(a for a in sender.received if a.get("type") == "Follow")
        accept = {"@context": AS, "id": sender.actor + "#accepts/1", "type": "Accept"}
        accept |= {"actor": sender.actor, "object": follow}
        answer = client.send(sender.signed(server.base + "/users/reader/inbox", accept))
        state = query(server.data_dir / "porch.db", "SELECT state FROM follows")
        if answer.status_code != 202 or state != "accepted":
            raise RuntimeError(f"Accept: HTTP {answer.status_code}, follow state {state}")


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


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--activities", type=int, default=3000, help="timed Create(Note)s")
    options.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    options.add_argument("--warmup", type=int, default=100, help="untimed Create(Note)s first")
    options.add_argument("--log-level", default="info", help="porch serve --log-level")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-inbox-"))
    server = Server(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    sender = Sender()
    os.environ["PORCH_FEDERATION_ALLOW_PRIVATE"] = "localhost"
    print("Porch inbox ingest benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
        server.start()
        create = [str(PORCH), "user", "create", READER, "--email", "r@example.com"]
        how = {"cwd": ROOT, "env": server.env(), "check": True, "capture_output": True}
        subprocess.run([*create, "--password-stdin"], input=PASSWORD + "\n", text=True, **how)
        follow_sender(server, sender)
        pid = server.pid()
        inbox = server.base + "/inbox"
        # Posts a server taking TARGET_RPS a second gets were written about that fast:
        # give them `published` times spread so (in the past: Porch caps it at now).
        total = args.warmup + args.activities
        start = datetime.now(UTC) - timedelta(seconds=total / TARGET_RPS + 2)
        at = [start + timedelta(seconds=i / TARGET_RPS) for i in range(total)]
        warm = [sender.signed(inbox, sender.create(i, at[i])) for i in range(args.warmup)]
        if (warmed := asyncio.run(fire(warm, args.concurrency))[1]).get(202) != args.warmup:
            raise RuntimeError(f"warm-up answers: {warmed}")

        began = time.perf_counter()
        ids = range(args.warmup, args.warmup + args.activities)
        requests = [sender.signed(inbox, sender.create(i, at[i])) for i in ids]
        signing = time.perf_counter() - began
        cpu_before = cpu_seconds(pid)
        timings, statuses, elapsed = asyncio.run(fire(requests, args.concurrency))
        cpu = cpu_seconds(pid) - cpu_before
        stored = query(
            server.data_dir / "porch.db", "SELECT count(*) FROM posts WHERE uri NOT NULL"
        )
        expected, accepted = total, statuses.get(202, 0)

        print(
            f"Inbox (POST /inbox, {args.activities} signed public Create(Note) from one "
            f"followed remote actor, {args.concurrency} keep-alive connections, "
            f"{args.warmup} warm-up first; signed in {signing:.1f} s beforehand; "
            f"server log level {args.log_level}):"
        )
        rps = accepted / elapsed
        line("accepted and applied", f"{rps:.0f} /s", f">= {TARGET_RPS:.0f} /s", rps >= TARGET_RPS)
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
        line("answers", answers, f"(in {elapsed:.2f} s)")
        p50, p99 = percentile(timings, 50), percentile(timings, 99)
        line("latency p50 / p99 / max", f"{p50:.0f} / {p99:.0f} / {max(timings):.0f} ms", "(info)")
        line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
        line("server CPU per activity", f"{cpu / len(timings) * 1000:.2f} ms", "(info)")
        line("posts stored (incl. warm-up)", f"{stored} / {expected}", "all", stored == expected)
    finally:
        server.stop()
        sender.stop()
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
