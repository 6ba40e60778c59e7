"""Benchmark an idle Porch: CPU and resident memory of `porch serve` with no clients.

Run:  python tests/bench/bench_idle.py [--seconds 60] [--worker-database URL --worker-redis URL]

It starts `porch serve` on the embedded default (SQLite, no Redis) in a fresh data
directory migrated beforehand (as every start but the first finds it), waits until it
answers, lets it settle, then reads its CPU time over
--seconds with no client connected, and its resident memory. The floor is a bare
Starlette app (tests/bench/ceiling.py) under the same uvicorn, measured the same way in
the same run. With --worker-database and --worker-redis it also measures an idle
`porch worker` with Redis, on a database of its own made (and dropped) on that
PostgreSQL server. It only
prints: there are no timing assertions. Every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_scale import _admin, _run  # noqa: E402
from tests.bench.bench_serve import (  # noqa: E402
    ROOT,
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    machine,
    status_kb,
)
from tests.bench.ceiling import BARE_APP  # noqa: E402

TARGET_CPU_SHARE = 0.5  # per cent of one core
TARGET_RSS_MB = 100.0


def idle(pid: int, seconds: float) -> tuple[float, float]:
    """(per cent of one core, resident MB) of process `pid` over `seconds` of nothing."""
    before, started = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    used, elapsed = cpu_seconds(pid) - before, time.perf_counter() - started
    return 100 * used / elapsed, status_kb(pid, "VmRSS") / 1024


def report(label: str, share: float, rss: float, floor: tuple[float, float] | None) -> None:
    print(f"{label}:")
    relative = ""
    if floor is not None:
        relative = f"(bare: {floor[0]:.3f} %, {floor[1]:.1f} MB)"
    cpu_target = f"< {TARGET_CPU_SHARE} % {relative}".strip()
    line("CPU, idle", f"{share:.3f} % of a core", cpu_target, share < TARGET_CPU_SHARE)
    line("resident memory", f"{rss:.1f} MB", f"< {TARGET_RSS_MB:.0f} MB", rss < TARGET_RSS_MB)
    print(flush=True)


def bare(workdir: Path, seconds: float, settle: float) -> tuple[float, float]:
    """The floor: a bare Starlette JSON app under the same uvicorn, idle."""
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port)]
    proc = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        time.sleep(settle)
        return idle(proc.pid, seconds)
    finally:
        proc.terminate()
        proc.wait(10)


def worker(server_url: str, redis: str, workdir: Path, seconds: float, settle: float) -> None:
    """An idle `porch worker` on a database of its own on the PostgreSQL at `server_url`."""
    admin = _admin(server_url)
    name = f"porch_bench_{uuid.uuid4().hex[:8]}"
    _run(f'CREATE DATABASE "{name}"', admin)
    try:
        _idle_worker(admin.rsplit("/", 1)[0] + f"/{name}", redis, workdir, seconds, settle)
    finally:
        _run(f'DROP DATABASE "{name}" WITH (FORCE)', admin)


def _idle_worker(database: str, redis: str, workdir: Path, seconds: float, settle: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
    env.update(
        PORCH_DATA_DIR=str(workdir / "worker-data"),
        PORCH_DATABASE_URL=database,
        PORCH_REDIS_URL=redis,
        PORCH_DOMAIN="localhost:8000",
        PORCH_SECRET_KEY="bench-secret-" + "x" * 40,
        PYTHONPATH=str(ROOT),
    )
    cli = [sys.executable, "-m", "server.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    with (workdir / "worker.log").open("wb") as out:
        proc = subprocess.Popen([*cli, "worker"], env=env, stdout=out, stderr=out)
    try:
        time.sleep(settle + 3)  # connects, sweeps once, then sleeps
        share, rss = idle(proc.pid, seconds)
    finally:
        proc.terminate()
        proc.wait(20)
    report("porch worker (PostgreSQL + Redis), idle", share, rss, None)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=60.0, help="idle seconds measured")
    options.add_argument("--settle", type=float, default=5.0, help="seconds after start-up")
    options.add_argument(
        "--worker-database",
        default="",
        help="a PostgreSQL server URL where the worker's own database is made and dropped",
    )
    options.add_argument("--worker-redis", default="", help="Redis URL for the worker")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-idle-"))
    print("Porch idle benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  load    {loadavg()} (1, 5, 15 min) at start")
    print(f"  window  {args.seconds:.0f} s with no client, after {args.settle:.0f} s settling\n")
    server = Server(workdir / "data", free_port(), "warning")
    server.data_dir.mkdir()
    try:
        floor = bare(workdir, args.seconds, args.settle)
        report("Bare Starlette app under uvicorn (the floor)", *floor, None)
        # Migrated first, as every start but the very first finds it: a start that
        # migrates keeps Alembic loaded (about 10 MB) until the next restart.
        subprocess.run(
            [sys.executable, "-m", "server.cli", "migrate"],
            env=server.env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        started = server.start()
        time.sleep(args.settle)
        share, rss = idle(server.pid(), args.seconds)
        print(f"(first answer {started:.2f} s after start)")
        report("porch serve, embedded default (SQLite, no Redis), idle", share, rss, floor)
        print("Porch relative to bare:")
        line("CPU", f"{share - floor[0]:+.3f} % of a core", "")
        line("resident memory", f"{rss - floor[1]:+.1f} MB", f"x{rss / floor[1]:.1f}")
        print(flush=True)
    finally:
        server.stop()
    if args.worker_database and args.worker_redis:
        worker(args.worker_database, args.worker_redis, workdir, args.seconds, args.settle)
    print(f"load at end: {loadavg()}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
