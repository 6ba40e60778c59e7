"""Benchmark the Mastodon client API: home timeline reads and status posts per second.

Run:  /tmp/venv/bin/python tests/bench/bench_api.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory, no
Redis), stops it to seed the database straight through SQLite (bench_serve's seed: the
reader follows --follows of --members members, 50,000 posts with a skewed mix of
authors, replies and visibilities), and starts it again. An app is registered and the
reader lets it in through the real OAuth code flow (consent page, out-of-band code,
POST /oauth/token). The seed writes rows straight into the database, so `porch feeds
rebuild` then writes the members' feeds, as after any import. Then, each after a
warm-up: GET /api/v1/timelines/home (default page of 20) for --duration seconds over
--concurrency connections with wrk (or a small asyncio client), and M POST
/api/v1/statuses with distinct texts (each post waits out its pause, as a member's
would). A bare Starlette JSON endpoint under the same uvicorn and load tool, measured in
the same run, is the ceiling (tests/bench/ceiling.py): each figure is printed as a
share of it too. It prints requests per second, latency percentiles and server CPU for
each. Only prints: no timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_inbox import fire  # noqa: E402
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
    percentile,
    seed,
)
from tests.bench.ceiling import Ceiling, baseline, load  # noqa: E402
from tests.bench.to_postgres import copy, create_database, drop_database  # noqa: E402

TARGET_HOME_RPS = 1000.0
TARGET_HOME_P99_MS = 50.0
TARGET_POST_RPS = 250.0
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow"
TEXT = "An evening on the porch with tea, a book and a slow conversation, number {i}."


def query(db: Path | str, sql: str) -> object:
    """The first value of `sql` on the SQLite file `db` or the PostgreSQL URL `db`."""
    if isinstance(db, str):

        async def ask() -> object:
            conn = await asyncpg.connect(db)
            try:
                return await conn.fetchval(sql)
            finally:
                await conn.close()

        return asyncio.run(ask())
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def oauth_token(base: str) -> str:
    """Register an app, let it in as the reader on the consent page, trade the code."""
    with httpx.Client(base_url=base, timeout=30.0) as client:
        registered = client.post(
            "/api/v1/apps",
            data={"client_name": "Porch bench", "redirect_uris": OOB, "scopes": SCOPES},
        )
        registered.raise_for_status()
        app = registered.json()
        login(base, client)
        asked = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": OOB}
        page = client.get("/oauth/authorize", params=asked | {"scope": SCOPES})
        if page.status_code != 200:
            raise RuntimeError(f"consent page: HTTP {page.status_code}")
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        form = {name: html.unescape(value) for name, value in hidden}
        if "csrf_token" not in form:
            raise RuntimeError("no csrf_token field on the consent page")
        answer = client.post("/oauth/authorize", data=form | {"decision": "allow"})
        code = re.search(r'id="code" value="([^"]+)"', answer.text)
        if code is None:
            raise RuntimeError(f"no code after consenting: HTTP {answer.status_code}")
        trade = {"grant_type": "authorization_code", "code": html.unescape(code[1])}
        trade |= {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        issued = client.post("/oauth/token", data=trade | {"redirect_uri": OOB})
        if issued.status_code != 200:
            raise RuntimeError(f"token exchange: HTTP {issued.status_code} {issued.text}")
        return str(issued.json()["access_token"])


def report(
    item: str,
    timings: list[float],
    statuses: dict,
    elapsed: float,
    cpu: float,
    rps_target: float,
    p99_target: float | None = None,
    ceiling: Ceiling | None = None,
) -> None:
    """A timed phase's figures: successful (200) answers per second, latency, server CPU."""
    rps = statuses.get(200, 0) / elapsed
    p50, p90, p99 = (percentile(timings, pct) for pct in (50, 90, 99))
    unit = "req/s" if item == "request" else f"{item}s/s"
    line("throughput", f"{rps:.0f} {unit}", f">= {rps_target:.0f} {unit}", rps >= rps_target)
    if ceiling is not None:
        line("share of the ceiling", ceiling.share(rps), "(info)")
    line("latency p50", f"{p50:.1f} ms", "(info)")
    if p99_target is None:
        line("latency p99", f"{p99:.1f} ms", "(info)")
    else:
        line("latency p99", f"{p99:.1f} ms", f"< {p99_target:.0f} ms", p99 < p99_target)
    line("latency p90 / max", f"{p90:.1f} / {max(timings):.0f} ms", "(info)")
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
    line("answers", answers, f"(in {elapsed:.2f} s)")
    line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
    line(f"server CPU per {item}", f"{cpu / len(timings) * 1000:.2f} ms", "(info)")


def fixed_cost(base: str, headers: dict[str, str], pid: int, requests: int, conns: int) -> None:
    """What every API request pays around its own work: GET verify_credentials (the
    grant, the member's own account) under the same load as the home phase."""
    url = base + "/api/v1/accounts/verify_credentials"
    warm = [httpx.Request("GET", url, headers=headers) for _ in range(100)]
    if (warmed := asyncio.run(fire(warm, conns))[1]).get(200) != 100:
        raise RuntimeError(f"verify_credentials warm-up answers: {warmed}")
    gets = [httpx.Request("GET", url, headers=headers) for _ in range(requests)]
    cpu_before = cpu_seconds(pid)
    timings, statuses, elapsed = asyncio.run(fire(gets, conns))
    cpu = cpu_seconds(pid) - cpu_before
    print(
        f"A cheap request (GET /api/v1/accounts/verify_credentials, {requests} requests over "
        f"{conns} keep-alive connections, 100 warm-up first):"
    )
    report("request", timings, statuses, elapsed, cpu, TARGET_HOME_RPS)
    print(flush=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--posts", type=int, default=50_000, help="seeded posts")
    options.add_argument("--members", type=int, default=250, help="seeded members")
    options.add_argument("--follows", type=int, default=200, help="how many the reader follows")
    options.add_argument("--duration", type=float, default=10.0, help="seconds of home GETs")
    options.add_argument("--requests", type=int, default=3000, help="timed cheap GETs")
    options.add_argument("--concurrency", type=int, default=16, help="connections for GETs")
    options.add_argument("--tool", choices=("auto", "wrk", "asyncio"), default="auto")
    options.add_argument("--no-baseline", action="store_true", help="skip the bare-app run")
    options.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a fresh database on 127.0.0.1:55432, the seed copied into it",
    )
    options.add_argument("--statuses", type=int, default=2000, help="timed status POSTs")
    options.add_argument("--post-concurrency", type=int, default=16, help="connections for POSTs")
    options.add_argument("--warmup", type=int, default=200, help="untimed posts first")
    options.add_argument("--warmup-seconds", type=float, default=2.0, help="untimed home GETs")
    options.add_argument("--log-level", default="info", help="porch serve --log-level")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    options.add_argument("--seed", type=int, default=1)
    args = options.parse_args()
    if args.members < args.follows + 1:
        options.error("--members must exceed --follows")
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "asyncio"

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-api-"))
    server = Server(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    db = server.data_dir / "porch.db"
    print("Porch client API benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
        ceiling = None
        if not args.no_baseline:
            ceiling = baseline(tool, workdir, args.concurrency, 3.0, args.log_level)
            print(
                f"Ceiling: bare Starlette JSON endpoint, {tool}, {args.concurrency} connections: "
                f"{ceiling.rps:.0f} req/s, p50 {ceiling.p50_ms:.2f} ms, p99 {ceiling.p99_ms:.2f} ms\n"
            )
        server.start()  # creates the schema on the empty data directory
        server.stop()
        seeded = seed(
            db,
            members=args.members,
            posts=args.posts,
            reader_follows=args.follows,
            rng_seed=args.seed,
            analyze=False,
        )
        pg_name = f"porch_bench_api_{server.port}"
        live: Path | str = db
        if args.database == "postgres":
            url = create_database(pg_name)
            copied = copy(db, url, PORCH, ROOT, server.env())
            sqlite_env = server.env
            server.env = lambda: {**sqlite_env(), "PORCH_DATABASE_URL": url}  # type: ignore[method-assign]
            print(f"Copied {copied} rows into PostgreSQL database {pg_name} (then ANALYZE)")
            live = url
        reader_id = query(db, f"SELECT id FROM actors WHERE username = '{READER}'")
        followed = f"SELECT followed_id FROM follows WHERE follower_id = {reader_id}"
        by_followed = query(db, f"SELECT count(*) FROM posts WHERE actor_id IN ({followed})")
        replies = query(db, "SELECT count(*) FROM posts WHERE in_reply_to_id NOT NULL")
        public = query(db, "SELECT count(*) FROM posts WHERE visibility = 'public'")
        stored = query(db, "SELECT count(*) FROM posts")
        print(
            f"Seeded {seeded.members} members, {seeded.follows} follows (reader follows "
            f"{seeded.reader_follows}), {seeded.posts} posts in {seeded.seconds:.1f} s: "
            f"{by_followed} by people the reader follows, {replies} replies, {public} public; "
            f"{stored} posts in the database"
        )
        derive(server.env())
        server.start()
        pid = server.pid()
        token = oauth_token(server.base)
        headers = {"Authorization": f"Bearer {token}"}
        home_url = server.base + "/api/v1/timelines/home"
        first = httpx.get(home_url, headers=headers, timeout=30.0)
        first.raise_for_status()
        per_page = len(first.json())
        print(
            f"Token from the OAuth code flow; server pid {pid}, port {server.port}, log level "
            f"{args.log_level}\n",
            flush=True,
        )

        # 1: the home timeline, default page (20), newest first.
        target = "/api/v1/timelines/home"
        load(tool, server, target, None, args.concurrency, args.warmup_seconds, headers)
        cpu_before = cpu_seconds(pid)
        done, errors, elapsed, p50, p99 = load(
            tool, server, target, None, args.concurrency, args.duration, headers
        )
        cpu = cpu_seconds(pid) - cpu_before
        last = httpx.get(home_url, headers=headers, timeout=30.0).json()
        print(
            f"Home timeline (GET {target} as @{READER}, {args.concurrency} connections for "
            f"{elapsed:.1f} s with {tool}, {args.warmup_seconds:.0f} s warm-up first; "
            f"default limit):"
        )
        rps = (done - errors) / elapsed
        line(
            "throughput",
            f"{rps:.0f} req/s",
            f">= {TARGET_HOME_RPS:.0f} req/s",
            rps >= TARGET_HOME_RPS,
        )
        if ceiling is not None:
            line("share of the ceiling", ceiling.share(rps), "(info)")
        line("latency p50", f"{p50:.1f} ms", "(info)")
        line(
            "latency p99",
            f"{p99:.1f} ms",
            f"< {TARGET_HOME_P99_MS:.0f} ms",
            p99 < TARGET_HOME_P99_MS,
        )
        line("requests / errors", f"{done} / {errors}", "(info)")
        line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
        line("server CPU per request", f"{cpu / max(done, 1) * 1000:.2f} ms", "(info)")
        shown = f"{per_page} / {len(last)}"
        line("statuses a page, before / after", shown, "20", per_page == len(last) == 20)
        print(flush=True)

        fixed_cost(server.base, headers, pid, args.requests, args.concurrency)

        # 2: posting, each with its own text (so no two are the same post).
        def posts(start: int, count: int) -> list[httpx.Request]:
            url = server.base + "/api/v1/statuses"
            return [
                httpx.Request("POST", url, headers=headers, data={"status": TEXT.format(i=i)})
                for i in range(start, start + count)
            ]

        before = query(live, "SELECT count(*) FROM posts")
        warm = min(args.warmup, 50)
        warmed = asyncio.run(fire(posts(0, warm), args.post_concurrency))[1]
        if warmed.get(200) != warm:
            raise RuntimeError(f"post warm-up answers: {warmed}")
        requests = posts(warm, args.statuses)
        cpu_before = cpu_seconds(pid)
        timings, statuses, elapsed = asyncio.run(fire(requests, args.post_concurrency))
        cpu = cpu_seconds(pid) - cpu_before
        after = query(live, "SELECT count(*) FROM posts")
        pending = query(live, "SELECT count(*) FROM posts WHERE state = 'pending'")
        print(
            f"Posting (POST /api/v1/statuses as @{READER}, {args.statuses} distinct public "
            f"texts over {args.post_concurrency} keep-alive connections, {warm} warm-up "
            f"first; each waits out its pause):"
        )
        report("post", timings, statuses, elapsed, cpu, TARGET_POST_RPS, ceiling=ceiling)
        added, expected = int(after) - int(before), warm + args.statuses  # type: ignore[call-overload]
        line("posts in the database", f"{after} (+{added})", f"+{expected}", added == expected)
        line("of them pending (in the pause)", f"{pending}", "(info)")
    finally:
        server.stop()
        if args.database == "postgres" and not args.keep:
            drop_database(f"porch_bench_api_{server.port}")
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
