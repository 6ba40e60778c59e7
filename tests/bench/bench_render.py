"""Benchmark the signed-in home, as HTML and through the client API, with and without the
render caches (kept statuses, accounts and post-card parts); the Conversations list
through the API and a signed-in profile page beside them.

Run:  python tests/bench/bench_render.py [--posts 50000] [--duration 10]

It seeds a community (tests/bench/bench_serve.py's generator), recounts the counter rows
as `porch counters rebuild` does, then loads GET /home (newest first, signed in with a
session cookie), GET /api/v1/timelines/home and /api/v1/timelines/list/conversations
(bearer token) and the busiest member's profile page (signed in) under wrk, once with
PORCH_RENDER_CACHE_ENTRIES at its default and once at 0. Each figure is printed beside
the bare Starlette ceiling measured in the same run. It only prints: no assertions.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import (  # noqa: E402
    PORCH,
    READER,
    ROOT,
    Server,
    cpu_seconds,
    derive,
    free_port,
    line,
    loadavg,
    login,
    machine,
    seed,
)
from tests.bench.ceiling import baseline, wrk_load  # noqa: E402

TARGET_WEB_RPS = 300.0
TARGET_API_RPS = 1000.0
#: The Conversations list through the API, and a signed-in profile page.
TARGET_CONVERSATIONS_RPS = 300.0
TARGET_PROFILE_RPS = 300.0


@dataclass
class CacheServer(Server):
    """`porch serve` with a few settings of its own (the render cache size)."""

    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra}


def credentials(server: Server) -> tuple[dict[str, str], dict[str, str]]:
    """Headers for the reader: a signed-in browser's cookie, and an app's bearer token."""
    with httpx.Client(timeout=10.0) as client:
        login(server.base, client)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    made = subprocess.run(
        [str(PORCH), "token", "create", "bench", "--member", READER],
        cwd=ROOT,
        env=server.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return {"Cookie": cookie}, {"Authorization": f"Bearer {made.stdout.split()[0]}"}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--members", type=int, default=1200)
    options.add_argument("--posts", type=int, default=50_000)
    options.add_argument("--follows", type=int, default=200, help="how many the reader follows")
    options.add_argument("--duration", type=float, default=10.0, help="seconds per load")
    options.add_argument("--warmup", type=float, default=3.0)
    options.add_argument("--connections", type=int, default=16)
    options.add_argument("--log-level", default="warning", help="porch serve --log-level")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()
    if shutil.which("wrk") is None:
        options.error("wrk is needed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-render-"))
    data = workdir / "data"
    data.mkdir()
    print("Porch render-cache benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
        ceiling = baseline("wrk", workdir, args.connections, args.warmup, args.log_level)
        first = CacheServer(data, free_port(), args.log_level)
        first.start()  # creates and migrates the database
        first.stop()
        seeded = seed(
            data / "porch.db",
            members=args.members,
            posts=args.posts,
            reader_follows=args.follows,
            rng_seed=1,
            analyze=False,
        )
        with sqlite3.connect(data / "porch.db") as db:  # newest first: the post-card timeline
            db.execute("UPDATE members SET home_order = 'latest'")
        derive(first.env())
        print(
            f"Seeded {seeded.members} members, {seeded.posts} posts; the reader follows "
            f"{seeded.reader_follows}.\n"
        )
        for label, entries in (("caches on", "2000"), ("caches off", "0")):
            # The logged-out page cache is off: signed-in pages never use it, and the
            # profile figure must not come from it.
            extra = {"PORCH_RENDER_CACHE_ENTRIES": entries, "PORCH_PUBLIC_CACHE_SECONDS": "0"}
            server = CacheServer(data, free_port(), args.log_level, extra=extra)
            server.start()
            try:
                web, api = credentials(server)
                for name, target, headers, goal in (
                    ("Web home (HTML)", "/", web, TARGET_WEB_RPS),
                    ("API home", "/api/v1/timelines/home", api, TARGET_API_RPS),
                    (
                        "Conversations (API)",
                        "/api/v1/timelines/list/conversations",
                        api,
                        TARGET_CONVERSATIONS_RPS,
                    ),
                    ("Profile page, signed in", f"/@{seeded.busiest}", web, TARGET_PROFILE_RPS),
                ):
                    check = httpx.get(server.base + target, headers=headers, timeout=10.0)
                    if check.status_code != 200:
                        raise RuntimeError(f"{target}: HTTP {check.status_code}")
                    wrk_load(server.base + target, None, args.connections, args.warmup, headers)
                    pid = server.pid()
                    before = cpu_seconds(pid)
                    done, errors, elapsed, p50, p99 = wrk_load(
                        server.base + target, None, args.connections, args.duration, headers
                    )
                    cpu = cpu_seconds(pid) - before
                    rps = done / elapsed
                    print(
                        f"{name}, {label} (GET {target}, {len(check.content)} bytes; "
                        f"{args.connections} connections, {elapsed:.0f} s, wrk):"
                    )
                    line("throughput", f"{rps:.0f} req/s", f">= {goal:.0f} req/s", rps >= goal)
                    line("share of the ceiling", ceiling.share(rps), "(info)")
                    line("latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms", "(info)")
                    line("requests / errors", f"{done} / {errors}", "(info)")
                    line("server CPU per request", f"{cpu / max(done, 1) * 1000:.2f} ms", "(info)")
                    print(flush=True)
            finally:
                server.stop()
    finally:
        print(f"Load average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
