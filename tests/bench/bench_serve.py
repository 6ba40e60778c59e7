"""Benchmark a real `porch serve` process: startup, idle memory, home timeline, profile load.

Run:  /tmp/venv/bin/python tests/bench/bench_serve.py [--help]

It starts `porch serve` on a fresh data directory and a free loopback port, seeds the
SQLite database (stopping the server for that), and prints each figure next to its
target. It only prints: there are no timing assertions. Every loop is bounded in count
and in time, and the server is stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert

ROOT = Path(__file__).resolve().parents[2]
PORCH = Path(sys.executable).with_name("porch")

TARGET_FIRST_RESPONSE_S = 3.0
TARGET_IDLE_RSS_MB = 120.0
TARGET_HOME_P99_MS = 60.0
TARGET_PROFILE_RPS = 250.0

READER = "reader"
PASSWORD = "bench-password-123"


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def line(label: str, value: str, target: str, ok: bool | None = None) -> None:
    mark = "" if ok is None else f"  [{verdict(ok)}]"
    print(f"  {label:<34} {value:>16}   target {target}{mark}", flush=True)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                mem = f"{int(text.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "ram": mem,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
    }


# --------------------------------------------------------------------------- process


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(c) for c in text)
    except OSError:
        pass
    return found


def _descendants(pid: int) -> list[int]:
    out, todo = [pid], [pid]
    while todo and len(out) < 100:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def listening_pid(root_pid: int, port: int) -> int | None:
    """The process (root_pid or a descendant) that holds the listening socket on `port`."""
    inodes = _listening_inodes(port)
    for pid in _descendants(root_pid):
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None


def status_kb(pid: int, key: str) -> int:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith(key + ":"):
            return int(text.split()[1])
    raise KeyError(key)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15; after the ")" split, index 11 and 12.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    data_dir: Path
    port: int
    log_level: str
    workers: int = 1
    proc: subprocess.Popen[bytes] | None = None
    log_file: object = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PORCH_DATA_DIR=str(self.data_dir),
            PORCH_DOMAIN=f"localhost:{self.port}",
            PORCH_DATABASE_URL="",
            PORCH_REDIS_URL="",
            # Benchmarks post far more than a member's daily budget allows.
            PORCH_POSTS_PER_DAY="100000",
            PORCH_NEWCOMER_POSTS_PER_DAY="100000",
            # Every card and nudge shown, so figures compare with runs before holdouts.
            PORCH_HOLDOUT_CARDS_PERCENT="0",
            PORCH_HOLDOUT_NUDGES_PERCENT="0",
        )
        return env

    def start(self, timeout: float = 30.0) -> float:
        """Start the server; return seconds until the first successful GET /."""
        log_path = self.data_dir.parent / "server.log"
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        command = [str(PORCH), "serve", "--port", str(self.port), "--log-level", self.log_level]
        command += ["--workers", str(self.workers)]
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(),
            stdout=self.log_file,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = started + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"porch serve exited early; see {log_path}")
                try:
                    if client.get(self.base + "/").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        raise RuntimeError(f"porch serve gave no successful response in {timeout}s")

    def pid(self) -> int:
        assert self.proc is not None
        found = listening_pid(self.proc.pid, self.port)
        return found if found is not None else self.proc.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        self.proc = None
        if self.log_file is not None:
            self.log_file.close()  # type: ignore[attr-defined]
            self.log_file = None


# --------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    members: int
    posts: int
    follows: int
    reader_follows: int
    busiest: str
    busiest_posts: int
    seconds: float


WORDS = [
    "porch",
    "evening",
    "tea",
    "garden",
    "neighbour",
    "bread",
    "rain",
    "quiet",
    "walk",
    "book",
    "letter",
    "bicycle",
    "river",
    "kindness",
    "slow",
    "conversation",
    "morning",
    "light",
    "window",
    "friend",
    "question",
    "idea",
    "story",
    "soup",
]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."


def seed(
    db_path: Path, *, members: int, posts: int, reader_follows: int, rng_seed: int, analyze: bool
) -> Seeded:
    """Bulk-insert members, follows and posts straight into the SQLite file."""
    # Imported here so the startup measurement is not affected by the import time.
    from server.ids import id_for_time
    from server.models import (
        Actor,
        Follow,
        FollowState,
        Member,
        MemberRole,
        MemberState,
        Mention,
        Notification,
        NotificationKind,
        Post,
        PostState,
        Visibility,
    )
    from server.services.passwords import hash_password

    began = time.perf_counter()
    rng = random.Random(rng_seed)
    now = datetime.now(UTC)
    password_hash = hash_password(PASSWORD)
    engine = create_engine(f"sqlite:///{db_path}")
    actors_t, members_t = Actor.__table__, Member.__table__  # type: ignore[attr-defined]
    follows_t, posts_t = Follow.__table__, Post.__table__  # type: ignore[attr-defined]
    mentions_t, notes_t = Mention.__table__, Notification.__table__  # type: ignore[attr-defined]

    names = [READER] + [f"member{i:05d}" for i in range(1, members)]
    with engine.begin() as conn:
        start_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM actors").scalar_one()
        actor_ids = [start_id + 1 + i for i in range(members)]
        joined = [now - timedelta(days=rng.uniform(30, 400)) for _ in names]
        conn.execute(
            insert(actors_t),
            [
                {
                    "id": aid,
                    "username": name,
                    "domain": None,
                    "acct_key": name.lower(),
                    "display_name": name.title() if i % 3 else "",
                    "bio": _sentence(rng) if i % 2 else "",
                    "avatar_path": None,
                    "locked": False,
                    "created_at": joined[i],
                }
                for i, (aid, name) in enumerate(zip(actor_ids, names, strict=True))
            ],
        )
        conn.execute(
            insert(members_t),
            [
                {
                    "actor_id": aid,
                    "email": f"{name}@bench.example",
                    "password_hash": password_hash,
                    "role": MemberRole.admin if i == 0 else MemberRole.member,
                    "state": MemberState.active,
                    "signup_reason": "",
                    "created_at": joined[i],
                    "last_login_at": None,
                }
                for i, (aid, name) in enumerate(zip(actor_ids, names, strict=True))
            ],
        )

        reader_id = actor_ids[0]
        others = actor_ids[1:]
        followed_by_reader = rng.sample(others, reader_follows)
        pairs = {(reader_id, f) for f in followed_by_reader}
        for aid in others:  # everyone else follows a handful of people
            for target in rng.sample(actor_ids, rng.randint(3, 25)):
                if target != aid:
                    pairs.add((aid, target))
        conn.execute(
            insert(follows_t),
            [
                {
                    "follower_id": a,
                    "followed_id": b,
                    "state": FollowState.accepted,
                    "created_at": now - timedelta(days=rng.uniform(1, 30)),
                }
                for a, b in sorted(pairs)
            ],
        )

        # Skewed activity: a few people post a lot, most post a little.
        weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(others))]
        rng.shuffle(weights)
        authors = rng.choices(others, weights=weights, k=posts)
        moments = sorted(now - timedelta(seconds=rng.uniform(60, 60 * 86400)) for _ in authors)
        rows: list[dict[str, object]] = []
        mentions: list[dict[str, object]] = []
        seen_ids: set[int] = set()
        by_id: dict[int, dict[str, object]] = {}
        recent: list[int] = []
        for author, moment in zip(authors, moments, strict=True):
            post_id = id_for_time(moment)
            while post_id in seen_ids:
                post_id = id_for_time(moment)
            seen_ids.add(post_id)
            roll = rng.random()
            visibility = (
                Visibility.public
                if roll < 0.85
                else Visibility.unlisted
                if roll < 0.92
                else Visibility.followers
                if roll < 0.98
                else Visibility.direct
            )
            parent = rng.choice(recent[-2000:]) if recent and rng.random() < 0.25 else None
            text = _sentence(rng)
            row: dict[str, object] = {
                "id": post_id,
                "actor_id": author,
                "in_reply_to_id": parent,
                "root_id": by_id[parent]["root_id"] if parent else post_id,
                "text": text,
                "content_html": f"<p>{text}</p>",
                "spoiler_text": "a spoiler" if rng.random() < 0.03 else "",
                "visibility": visibility,
                "state": PostState.published,
                "created_at": moment - timedelta(seconds=30),
                "publish_at": moment,
                "published_at": moment,
                "edited_at": None,
                "deleted_at": None,
            }
            rows.append(row)
            by_id[post_id] = row
            if visibility is not Visibility.direct:
                recent.append(post_id)
            if visibility is Visibility.direct or (parent and rng.random() < 0.3):
                target = reader_id if rng.random() < 0.1 else rng.choice(actor_ids)
                if target != author:
                    mentions.append({"post_id": post_id, "actor_id": target})
        for start in range(0, len(rows), 5000):
            conn.execute(insert(posts_t), rows[start : start + 5000])
        if mentions:
            conn.execute(insert(mentions_t), mentions)

        # Some notifications for the reader, most of them read.
        reader_notes = [
            {
                "recipient_id": reader_id,
                "kind": NotificationKind.reply,
                "from_actor_id": rng.choice(others),
                "post_id": r["id"],
                "created_at": r["published_at"],
                "read_at": None if i % 10 == 0 else r["published_at"],
            }
            for i, r in enumerate(rows[-3000::10])
        ]
        conn.execute(insert(notes_t), reader_notes)
    if analyze:  # a real instance never runs ANALYZE, so by default neither do we
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()

    counts: dict[int, int] = {}
    for a in authors:
        counts[a] = counts.get(a, 0) + 1
    busiest_id = max(counts, key=lambda a: counts[a])
    return Seeded(
        members=members,
        posts=len(rows),
        follows=len(pairs),
        reader_follows=reader_follows,
        busiest=names[actor_ids.index(busiest_id)],
        busiest_posts=counts[busiest_id],
        seconds=time.perf_counter() - began,
    )


# --------------------------------------------------------------------------- measuring


#: What Porch derives from posts and follows, as after an upgrade: rows written straight
#: into the database have no thread signals, counts or feed entries until then.
DERIVED = ("ranking", "counters", "feeds")


def derive(env: dict[str, str]) -> None:
    """Run `porch <kind> rebuild` for everything derived, printing how long each took."""
    for kind in DERIVED:
        began = time.perf_counter()
        subprocess.run(
            [str(PORCH), kind, "rebuild"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        line(f"porch {kind} rebuild", f"{time.perf_counter() - began:.1f} s", "(info)")


def login(base: str, client: httpx.Client) -> None:
    page = client.get(base + "/login")
    page.raise_for_status()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError("no csrf_token field on /login")
    response = client.post(
        base + "/login",
        data={"login": READER, "password": PASSWORD, "csrf_token": match.group(1), "next": "/"},
    )
    if response.status_code != 303:
        raise RuntimeError(f"login failed: HTTP {response.status_code}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Latency:
    count: int
    errors: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float
    articles: int
    server_cpu_ms: float


def measure_home(
    base: str, server_pid: int, *, requests: int, warmup: int, budget: float
) -> Latency:
    with httpx.Client(timeout=10.0) as client:
        login(base, client)
        first = client.get(base + "/")
        if "<h1>Home</h1>" not in first.text:
            raise RuntimeError("the home timeline did not render for the reader")
        articles = first.text.count("<article")
        for _ in range(warmup):
            client.get(base + "/")
        timings: list[float] = []
        errors = 0
        cpu_before = cpu_seconds(server_pid)
        deadline = time.perf_counter() + budget
        for _ in range(requests):
            if time.perf_counter() > deadline:
                break
            began = time.perf_counter()
            response = client.get(base + "/")
            timings.append((time.perf_counter() - began) * 1000)
            errors += response.status_code != 200
        cpu_used = cpu_seconds(server_pid) - cpu_before
    return Latency(
        count=len(timings),
        errors=errors,
        p50=percentile(timings, 50),
        p90=percentile(timings, 90),
        p99=percentile(timings, 99),
        max=max(timings),
        mean=statistics.fmean(timings),
        articles=articles,
        server_cpu_ms=cpu_used / len(timings) * 1000 if timings else 0.0,
    )


@dataclass
class Throughput:
    tool: str
    requests: int
    errors: int
    seconds: float
    server_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu * self.seconds / self.requests * 1000 if self.requests else 0.0


async def _httpx_load(url: str, concurrency: int, duration: float) -> tuple[int, int, float]:
    done = 0
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:
        began = time.perf_counter()
        deadline = began + duration

        async def worker() -> None:
            nonlocal done, errors
            for _ in range(1_000_000):  # bounded; the deadline ends it far sooner
                if time.perf_counter() >= deadline:
                    return
                try:
                    response = await client.get(url)
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return done, errors, elapsed


def _wrk_load(url: str, concurrency: int, duration: float) -> tuple[int, int, float] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    command = [
        wrk,
        "-t2",
        f"-c{concurrency}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        url,
    ]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=True
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    if total is None:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[total.group(3)]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    return int(total.group(1)), errors, float(total.group(2)) * scale


def measure_profile(
    url: str, server_pid: int, *, concurrency: int, duration: float, tool: str
) -> Throughput:
    cpu_before = cpu_seconds(server_pid)
    result = _wrk_load(url, concurrency, duration) if tool in ("auto", "wrk") else None
    used = "wrk"
    if result is None:
        used = f"httpx ({concurrency} tasks)"
        result = asyncio.run(_httpx_load(url, concurrency, duration))
    cpu_used = cpu_seconds(server_pid) - cpu_before
    done, errors, elapsed = result
    return Throughput(used, done, errors, elapsed, cpu_used / elapsed if elapsed else 0.0)


# --------------------------------------------------------------------------- main


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--members", type=int, default=1200)
    options.add_argument("--posts", type=int, default=50_000)
    options.add_argument("--follows", type=int, default=200, help="how many the reader follows")
    options.add_argument("--requests", type=int, default=500, help="timed home requests")
    options.add_argument("--warmup", type=int, default=30)
    options.add_argument("--duration", type=float, default=10.0, help="profile load seconds")
    options.add_argument("--concurrency", type=int, default=16)
    options.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    options.add_argument(
        "--log-level", default="info", help="porch serve --log-level (default: its default)"
    )
    options.add_argument(
        "--workers",
        type=int,
        default=1,
        help="porch serve --workers (memory and CPU figures then cover the parent only)",
    )
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    options.add_argument(
        "--analyze", action="store_true", help="run ANALYZE after seeding (Porch itself never does)"
    )
    options.add_argument("--seed", type=int, default=1)
    args = options.parse_args()
    if args.members < args.follows + 1:
        options.error("--members must exceed --follows")

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-"))
    server = Server(workdir / "data", free_port(), args.log_level, args.workers)
    server.data_dir.mkdir()
    print("Porch serve benchmark", flush=True)
    print("Machine:")
    for key, value in machine().items():
        print(f"  {key:<7} {value}")
    print(f"  data    {workdir}")
    print(f"  load    {loadavg()} (1/5/15 min; other work on the machine skews every figure)")
    print(flush=True)
    try:
        # The same load on a bare Starlette endpoint: Porch's figures as a share of it.
        from tests.bench.ceiling import baseline

        tool = "wrk" if args.tool != "httpx" and shutil.which("wrk") else "asyncio"
        ceiling = baseline(tool, workdir, args.concurrency, 3.0, args.log_level)
        # 1 and 2: cold start on an empty data directory, then idle memory.
        startup = server.start()
        pid = server.pid()
        wrapper = "" if pid == server.proc.pid else f" (child of wrapper {server.proc.pid})"  # type: ignore[union-attr]
        time.sleep(2.0)
        rss_mb = status_kb(pid, "VmRSS") / 1024
        print(f"Startup (empty data directory, port {server.port}, server pid {pid}{wrapper}):")
        line(
            "first response (GET /)",
            f"{startup:.2f} s",
            f"< {TARGET_FIRST_RESPONSE_S:.0f} s",
            startup < TARGET_FIRST_RESPONSE_S,
        )
        line(
            "idle RSS after start",
            f"{rss_mb:.1f} MB",
            f"< {TARGET_IDLE_RSS_MB:.0f} MB",
            rss_mb < TARGET_IDLE_RSS_MB,
        )
        print(flush=True)

        # 3: seed with the server stopped, then start again.
        server.stop()
        seeded = seed(
            server.data_dir / "porch.db",
            members=args.members,
            posts=args.posts,
            reader_follows=args.follows,
            rng_seed=args.seed,
            analyze=args.analyze,
        )
        print(
            f"Seeded {seeded.members} members, {seeded.follows} follows (reader follows "
            f"{seeded.reader_follows}), {seeded.posts} posts in {seeded.seconds:.1f} s",
            flush=True,
        )
        derive(server.env())
        restart = server.start()
        pid = server.pid()
        time.sleep(1.0)
        rss_seeded = status_kb(pid, "VmRSS") / 1024
        line("first response, seeded db", f"{restart:.2f} s", "(info)")
        line("idle RSS, seeded db", f"{rss_seeded:.1f} MB", "(info)")
        print(flush=True)

        # 4: home timeline latency for the reader.
        home = measure_home(
            server.base, pid, requests=args.requests, warmup=args.warmup, budget=120.0
        )
        print(
            f"Home timeline (GET / as @{READER}, {home.count} sequential requests after "
            f"{args.warmup} warm-up, {home.articles} posts per page, {home.errors} errors):"
        )
        line("p50", f"{home.p50:.1f} ms", "(info)")
        line("p90", f"{home.p90:.1f} ms", "(info)")
        line(
            "p99",
            f"{home.p99:.1f} ms",
            f"< {TARGET_HOME_P99_MS:.0f} ms",
            home.p99 < TARGET_HOME_P99_MS,
        )
        line("max / mean", f"{home.max:.0f} / {home.mean:.1f} ms", "(info)")
        sequential = 1000 / home.mean if home.mean else 0.0
        line("one connection", f"{sequential:.0f} req/s", "(info)")
        line("share of the ceiling", ceiling.share(sequential), "(one connection vs 16)")
        line("server CPU per request", f"{home.server_cpu_ms:.1f} ms", "(info)")
        print(flush=True)

        # 5: profile page throughput, logged out.
        url = f"{server.base}/@{seeded.busiest}"
        check = httpx.get(url, timeout=10.0)
        load = measure_profile(
            url,
            pid,
            concurrency=args.concurrency,
            duration=args.duration,
            tool=args.tool,
        )
        print(
            f"Profile page (GET /@{seeded.busiest}, {seeded.busiest_posts} posts, "
            f"HTTP {check.status_code}, {len(check.content)} bytes; {args.concurrency} "
            f"connections for {load.seconds:.1f} s with {load.tool}; logged out, public page "
            f"cache {os.environ.get('PORCH_PUBLIC_CACHE_SECONDS', '2 (default)')} s):"
        )
        line(
            "throughput",
            f"{load.rps:.0f} req/s",
            f">= {TARGET_PROFILE_RPS:.0f} req/s",
            load.rps >= TARGET_PROFILE_RPS,
        )
        line("share of the ceiling", ceiling.share(load.rps), "(info)")
        line("requests / errors", f"{load.requests} / {load.errors}", "(info)")
        line("server CPU during load", f"{load.server_cpu * 100:.0f} %", "(100 % = one core)")
        line("server CPU per request", f"{load.cpu_ms_per_request:.1f} ms", "(info)")
        rss_after = status_kb(pid, "VmRSS") / 1024
        line("RSS after load", f"{rss_after:.1f} MB", "(info)")
    finally:
        server.stop()
        print(f"\nLoad average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
