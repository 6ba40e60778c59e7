"""Benchmark the reply composer: the added latency of GET /compose?reply_to=<post id>.

Run:  /tmp/venv/bin/python tests/bench/bench_reply.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory, no
Redis), stops it to seed the database straight through SQLite (bench_serve's seed, as
bench_api uses it: the reader follows --follows of --members members, 50,000 posts with
a skewed mix of authors, replies and visibilities; then --history replies the reader
wrote to others' posts, a third of them answered, so "your history together" has rows
to count), derives the reply facts with `porch ranking rebuild` (as after an upgrade),
and starts it again. The reader signs in through the web login (CSRF form).

The reply composer builds the reply context (the person replied to, how the two stand,
their replies to each other, a thread summary). Its cost is measured against the plain
composer (GET /compose) as the baseline, over one keep-alive connection: --requests of
each after --warmup of each, interleaved (plain, reply, plain, ...) so both see the
same machine. reply_to cycles through up to --targets different top-level posts that
have replies, by as many authors as there are (followed by the reader or not), so no
one post's pages sit warm in the cache. Then a short run over --concurrency connections
for throughput. It prints latency percentiles, the added latency, requests per second
and server CPU per request. Only prints: no timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_inbox import fire  # noqa: E402
from tests.bench.bench_serve import (  # noqa: E402
    PORCH,
    READER,
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    login,
    machine,
    percentile,
    seed,
)

TARGET_REPLY_P99_MS = 50.0
PLAIN_MARK = "<h1>Write a post</h1>"
REPLY_MARK = 'class="person-context"'


def query(db: Path, sql: str) -> object:
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def seed_history(db: Path, reader_id: int, count: int, rng_seed: int) -> int:
    """The reader's replies to others' public posts, a third answered by the one replied to.

    bench_serve's seed gives the reader no posts of their own; without these, the
    history query would always look up an empty side. Returns the rows added.
    """
    from sqlalchemy import create_engine, insert

    from server.ids import id_for_time
    from server.models import Post, PostState, Visibility

    rng = random.Random(rng_seed)
    with sqlite3.connect(db) as conn:
        candidates = conn.execute(
            "SELECT id, actor_id, root_id FROM posts WHERE visibility = 'public' "
            "AND state = 'published' AND actor_id != ?",
            (reader_id,),
        ).fetchall()
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for parent_id, author, root_id in rng.sample(candidates, min(count, len(candidates))):
        moment = now - timedelta(seconds=rng.uniform(60, 30 * 86400))
        for actor, replying_to in ((reader_id, parent_id), (author, None)):
            if replying_to is None:  # the answer, to the reader's reply just made
                if rng.random() >= 1 / 3:
                    break
                replying_to = rows[-1]["id"]
                moment += timedelta(minutes=rng.uniform(1, 600))
            post_id = id_for_time(moment)
            text = f"A reply from the bench, {len(rows)}."
            rows.append(
                {
                    "id": post_id,
                    "actor_id": actor,
                    "in_reply_to_id": replying_to,
                    "root_id": root_id,
                    "text": text,
                    "content_html": f"<p>{text}</p>",
                    "spoiler_text": "",
                    "visibility": Visibility.public,
                    "state": PostState.published,
                    "created_at": moment - timedelta(seconds=30),
                    "publish_at": moment,
                    "published_at": moment,
                }
            )
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(insert(Post.__table__), rows)  # type: ignore[attr-defined]
    engine.dispose()
    return len(rows)


def reply_targets(db: Path, reader_id: int, limit: int, rng_seed: int) -> list[tuple[int, bool]]:
    """Top-level posts with replies that the reader may see, spread over their authors.

    Each as (post id, whether the reader follows its author); authors taken in turn so
    the list covers as many people as it can before it repeats one.
    """
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            f"""
            SELECT p.id, p.actor_id, f.id IS NOT NULL
            FROM posts p
            LEFT JOIN follows f
              ON f.follower_id = {reader_id} AND f.followed_id = p.actor_id
             AND f.state = 'accepted'
            WHERE p.in_reply_to_id IS NULL AND p.state = 'published'
              AND p.actor_id != {reader_id}
              AND (p.visibility IN ('public', 'unlisted')
                   OR (p.visibility = 'followers' AND f.id IS NOT NULL))
              AND EXISTS (SELECT 1 FROM posts r WHERE r.in_reply_to_id = p.id)
            """
        ).fetchall()
    rng = random.Random(rng_seed)
    rng.shuffle(found)
    by_author: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for post_id, author, followed in found:
        by_author[author].append((post_id, bool(followed)))
    picked: list[tuple[int, bool]] = []
    queues = list(by_author.values())
    while queues and len(picked) < limit:
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
        queues = [queue for queue in queues if queue]
    rng.shuffle(picked)
    return picked


def summary(name: str, timings: list[float], target: float | None = None) -> None:
    p50, p90, p99 = (percentile(timings, pct) for pct in (50, 90, 99))
    line(f"{name} p50", f"{p50:.1f} ms", "(info)")
    line(f"{name} p90", f"{p90:.1f} ms", "(info)")
    if target is None:
        line(f"{name} p99", f"{p99:.1f} ms", "(info)")
    else:
        line(f"{name} p99", f"{p99:.1f} ms", f"< {target:.0f} ms", p99 < target)
    line(f"{name} max / mean", f"{max(timings):.0f} / {statistics.fmean(timings):.1f} ms", "(info)")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--posts", type=int, default=50_000, help="seeded posts")
    options.add_argument("--members", type=int, default=80, help="seeded members")
    options.add_argument("--follows", type=int, default=50, help="how many the reader follows")
    options.add_argument("--history", type=int, default=300, help="replies the reader wrote")
    options.add_argument("--targets", type=int, default=400, help="different posts replied to")
    options.add_argument("--requests", type=int, default=500, help="timed GETs of each page")
    options.add_argument("--warmup", type=int, default=50, help="untimed GETs of each first")
    options.add_argument("--concurrency", type=int, default=8, help="connections, load run")
    options.add_argument("--load-requests", type=int, default=1000, help="GETs of each, load run")
    options.add_argument("--log-level", default="info", help="porch serve --log-level")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    options.add_argument("--seed", type=int, default=1)
    args = options.parse_args()
    if args.members < args.follows + 1:
        options.error("--members must exceed --follows")

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-reply-"))
    server = Server(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    db = server.data_dir / "porch.db"
    print("Porch reply composer benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
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
        reader_id = int(query(db, f"SELECT id FROM actors WHERE username = '{READER}'"))  # type: ignore[call-overload]
        history = seed_history(db, reader_id, args.history, args.seed)
        replies = query(db, "SELECT count(*) FROM posts WHERE in_reply_to_id NOT NULL")
        stored = query(db, "SELECT count(*) FROM posts")
        print(
            f"Seeded {seeded.members} members, {seeded.follows} follows (reader follows "
            f"{seeded.reader_follows}), {seeded.posts} posts in {seeded.seconds:.1f} s, then "
            f"{history} replies between the reader and others; {replies} replies, {stored} "
            f"posts in the database"
        )
        # The seed writes rows straight into SQLite, past the publishing path that keeps
        # each reply's fact (who answered whom): derive them as an upgrade does.
        began = time.perf_counter()
        subprocess.run(
            [str(PORCH), "ranking", "rebuild"],
            env=server.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        facts = query(db, "SELECT count(*) FROM reply_facts")
        print(
            f"`porch ranking rebuild` kept {facts} reply facts in "
            f"{time.perf_counter() - began:.1f} s"
        )
        targets = reply_targets(db, reader_id, args.targets, args.seed)
        if not targets:
            raise RuntimeError("no top-level post with replies that the reader can see")
        ids = ",".join(str(post_id) for post_id, _ in targets)
        authors = query(db, f"SELECT count(DISTINCT actor_id) FROM posts WHERE id IN ({ids})")
        sizes = sorted(
            int(n)
            for (n,) in sqlite3.connect(db).execute(
                f"SELECT count(*) FROM posts WHERE root_id IN ({ids}) AND id NOT IN ({ids}) "
                "GROUP BY root_id"
            )
        )
        followed = sum(1 for _, yes in targets if yes)
        print(
            f"Replying to {len(targets)} different top-level posts by {authors} authors "
            f"({followed} posts by people the reader follows, {len(targets) - followed} not); "
            f"replies a thread: median {statistics.median(sizes):.0f}, max {sizes[-1]}"
        )
        server.start()
        pid = server.pid()
        print(f"Server pid {pid}, port {server.port}, log level {args.log_level}\n", flush=True)

        plain_url = server.base + "/compose"

        def reply_url(i: int) -> str:
            return f"{plain_url}?reply_to={targets[i % len(targets)][0]}"

        # 1: one connection, plain and reply composer interleaved.
        with httpx.Client(timeout=30.0) as client:
            login(server.base, client)
            first = client.get(plain_url)
            if first.status_code != 200 or PLAIN_MARK not in first.text:
                raise RuntimeError(f"the plain composer did not render: HTTP {first.status_code}")
            first = client.get(reply_url(0))
            if first.status_code != 200 or REPLY_MARK not in first.text:
                raise RuntimeError(f"the reply composer did not render: HTTP {first.status_code}")
            for i in range(args.warmup):
                client.get(plain_url)
                client.get(reply_url(i))
            plain: list[float] = []
            reply: list[float] = []
            cpu = {"plain": 0.0, "reply": 0.0}
            errors = {"plain": 0, "reply": 0}
            missing = 0
            deadline = time.perf_counter() + 300.0
            began = time.perf_counter()
            for i in range(args.requests):
                if time.perf_counter() > deadline:
                    break
                order = [("plain", plain_url), ("reply", reply_url(args.warmup + i))]
                for kind, url in order if i % 2 else order[::-1]:
                    cpu_before = cpu_seconds(pid)
                    start = time.perf_counter()
                    response = client.get(url)
                    (plain if kind == "plain" else reply).append(
                        (time.perf_counter() - start) * 1000
                    )
                    cpu[kind] += cpu_seconds(pid) - cpu_before
                    errors[kind] += response.status_code != 200
                    missing += kind == "reply" and REPLY_MARK not in response.text
            elapsed = time.perf_counter() - began
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        count = len(reply)
        print(
            f"Composer latency (as @{READER}, one keep-alive connection, {count} requests of "
            f"each after {args.warmup} warm-up, interleaved; plain: GET /compose, reply: GET "
            f"/compose?reply_to=ID, the ID cycling through {len(targets)} posts):"
        )
        summary("plain composer", plain)
        summary("reply composer", reply, TARGET_REPLY_P99_MS)
        added50 = percentile(reply, 50) - percentile(plain, 50)
        added99 = percentile(reply, 99) - percentile(plain, 99)
        line("added latency p50", f"{added50:+.1f} ms", "(info)")
        line("added latency p99", f"{added99:+.1f} ms", "(info)")
        line("requests per second, both", f"{2 * count / elapsed:.0f} req/s", "(info)")
        line("server CPU per plain", f"{cpu['plain'] / count * 1000:.2f} ms", "(info)")
        line("server CPU per reply", f"{cpu['reply'] / count * 1000:.2f} ms", "(info)")
        shown = f"{errors['plain']} / {errors['reply']} / {missing}"
        line("errors plain / reply / no context", shown, "0 / 0 / 0", shown == "0 / 0 / 0")
        print(flush=True)

        # 2: throughput over several connections, each page on its own.
        if args.load_requests > 0 and args.concurrency > 0:
            headers = {"Cookie": cookie}
            print(
                f"Under load ({args.load_requests} requests of each over {args.concurrency} "
                f"keep-alive connections, one page at a time; reply_to cycles as above):"
            )
            for kind in ("plain", "reply"):
                urls = [plain_url if kind == "plain" else reply_url(i) for i in range(200)]
                warm = [httpx.Request("GET", u, headers=headers) for u in urls[: args.warmup]]
                asyncio.run(fire(warm, args.concurrency))
                gets = [
                    httpx.Request(
                        "GET", plain_url if kind == "plain" else reply_url(i), headers=headers
                    )
                    for i in range(args.load_requests)
                ]
                cpu_before = cpu_seconds(pid)
                timings, statuses, elapsed = asyncio.run(fire(gets, args.concurrency))
                used = cpu_seconds(pid) - cpu_before
                rps = statuses.get(200, 0) / elapsed
                answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
                line(f"{kind} throughput", f"{rps:.0f} req/s", "(info)")
                line(f"{kind} answers", answers, f"(in {elapsed:.2f} s)")
                p50, p99 = percentile(timings, 50), percentile(timings, 99)
                line(f"{kind} latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms", "(info)")
                line(f"{kind} server CPU", f"{used / elapsed * 100:.0f} %", "(100 % = one core)")
                line(
                    f"{kind} server CPU per request",
                    f"{used / len(timings) * 1000:.2f} ms",
                    "(info)",
                )
    finally:
        server.stop()
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
