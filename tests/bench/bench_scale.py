"""Benchmark scale-out: one web process against two, on PostgreSQL and Redis.

Run:  python tests/bench/bench_scale.py --database URL --redis URL [--posts 50000]

URL is a PostgreSQL server (postgresql://user@host:port/any) where the benchmark may
create and drop a database of its own, and a Redis URL whose database it may empty.
It seeds a community (the generator of tests/bench/bench_serve.py, into SQLite, then
copied into the new PostgreSQL database), starts one `porch serve` with Redis and loads
a read path (the public timeline API, logged out) with wrk; then starts a second web
process on the same database and Redis and loads both at once, half the connections
each. It prints the machine, both figures, their ratio, and a bare Starlette endpoint
as the ceiling. On a machine with two cores, two web processes share the cores with
PostgreSQL and the load generator: the ratio is bounded well below 2. It only prints;
every process it starts is stopped at the end, and its database dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import (  # noqa: E402
    ROOT,
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    machine,
    seed,
)
from tests.bench.ceiling import baseline, wrk_load  # noqa: E402

TARGET = "/api/v1/timelines/public?limit=20"
BATCH = 2000


class SharedServer(Server):
    """`porch serve` on the shared PostgreSQL database and Redis."""

    database_url: str = ""
    redis_url: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            PYTHONPATH=str(ROOT),
            PORCH_DATABASE_URL=self.database_url,
            PORCH_REDIS_URL=self.redis_url,
            PORCH_SECRET_KEY="bench-scale-" + "x" * 40,
        )
        return env


def _admin(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _run(statement: str, admin_url: str) -> None:
    async def go() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(go())


def copy_community(sqlite_path: Path, database_url: str) -> None:
    """Copy every row of the seeded SQLite database into the migrated PostgreSQL one,
    then move its id sequences past the copied ids."""
    from sqlmodel import SQLModel

    import server.models  # noqa: F401  (registers the tables)

    source = create_engine(f"sqlite:///{sqlite_path}")
    tables = SQLModel.metadata.sorted_tables

    async def go() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as target:
            names = ", ".join(f'"{t.name}"' for t in tables)
            await target.execute(text(f"TRUNCATE {names} CASCADE"))
            with source.connect() as reading:
                for table in tables:
                    rows = [dict(r._mapping) for r in reading.execute(select(table))]
                    for start in range(0, len(rows), BATCH):
                        await target.execute(table.insert(), rows[start : start + BATCH])
                    if rows and "id" in table.c and table.c.id.autoincrement is not False:
                        await target.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f'(SELECT max(id) FROM "{table.name}")) '
                                f"WHERE pg_get_serial_sequence('{table.name}', 'id') IS NOT NULL"
                            )
                        )
            await target.execute(text("ANALYZE"))
        await engine.dispose()

    asyncio.run(go())
    source.dispose()


def busy_cores() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8]) / os.sysconf("SC_CLK_TCK")
    idle = (fields[3] + fields[4]) / os.sysconf("SC_CLK_TCK")
    return total - idle, total


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on the machine (other users' included)."""
    used = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "postgres":
                    used += cpu_seconds(int(proc.name))
            except OSError:
                continue
    return used


def measure(
    servers: list[Server], connections: int, seconds: float
) -> tuple[float, int, float, float, float]:
    """(req/s in all, errors, then in cores: the web processes' CPU, every PostgreSQL
    process's, and the whole machine's busy time) with the connections split over
    `servers`."""
    share = max(1, connections // len(servers))
    machine_before, postgres_before = busy_cores(), postgres_cpu()
    before = [cpu_seconds(s.pid()) for s in servers]
    with ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(lambda s: wrk_load(s.base + TARGET, None, share, seconds), servers))
    cpu = sum(cpu_seconds(s.pid()) - b for s, b in zip(servers, before, strict=True))
    machine_after, postgres = busy_cores(), postgres_cpu() - postgres_before
    elapsed = max(r[2] for r in results)
    # /proc/stat counts every core: busy seconds over wall seconds is cores in use.
    wall = (machine_after[1] - machine_before[1]) / (os.cpu_count() or 1)
    busy = (machine_after[0] - machine_before[0]) / wall
    rps = sum(r[0] for r in results) / elapsed
    return rps, sum(r[1] for r in results), cpu / elapsed, postgres / elapsed, busy


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--database", default=os.environ.get("PORCH_TEST_POSTGRES_URL", ""))
    options.add_argument("--redis", default=os.environ.get("PORCH_TEST_REDIS_URL", ""))
    options.add_argument("--members", type=int, default=1200)
    options.add_argument("--posts", type=int, default=50_000)
    options.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    options.add_argument("--warmup", type=float, default=3.0)
    options.add_argument("--connections", type=int, default=16)
    options.add_argument("--log-level", default="warning")
    args = options.parse_args()
    if not args.database or not args.redis or not shutil.which("wrk"):
        options.error("needs --database, --redis and wrk")

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-scale-"))
    admin = _admin(args.database)
    name = f"porch_bench_{uuid.uuid4().hex[:8]}"
    database_url = admin.rsplit("/", 1)[0] + f"/{name}"
    print("Porch scale-out benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  load    {loadavg()} (1, 5, 15 min) at start")
    print(f"  path    GET {TARGET} (logged out), {args.connections} connections, wrk")
    print(f"  size    {args.posts} posts by {args.members} members\n", flush=True)
    servers: list[SharedServer] = []
    _run(f'CREATE DATABASE "{name}"', admin)
    try:
        seeded = workdir / "seed" / "porch.db"
        seeded.parent.mkdir()
        cli = [sys.executable, "-m", "server.cli", "migrate"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
        env.update(PYTHONPATH=str(ROOT), PORCH_DATA_DIR=str(seeded.parent))
        subprocess.run(cli, env=env, check=True, capture_output=True)
        seed(seeded, members=args.members, posts=args.posts, reader_follows=200, rng_seed=1,
             analyze=False)  # fmt: skip
        env.update(PORCH_DATABASE_URL=database_url, PORCH_DATA_DIR=str(workdir / "data"))
        subprocess.run(cli, env=env, check=True, capture_output=True)
        copy_community(seeded, database_url)

        ceiling = baseline("wrk", workdir, args.connections, args.warmup, args.log_level)
        for _ in range(2):
            server = SharedServer(workdir / "data", free_port(), args.log_level)
            server.database_url, server.redis_url = database_url, args.redis
            servers.append(server)
        servers[0].data_dir.mkdir(exist_ok=True)
        servers[0].start(timeout=60)
        measure(servers[:1], args.connections, args.warmup)
        one, one_errors, one_cpu, one_pg, one_busy = measure(
            servers[:1], args.connections, args.duration
        )
        servers[1].start(timeout=60)
        measure(servers, args.connections, args.warmup)
        two, two_errors, two_cpu, two_pg, two_busy = measure(
            servers, args.connections, args.duration
        )

        print("One web process (PostgreSQL + Redis):")
        line("throughput", f"{one:.0f} req/s", f"(errors {one_errors})")
        line("share of the ceiling", ceiling.share(one), "")
        line("web process CPU", f"{one_cpu:.2f} cores", f"(PostgreSQL {one_pg:.2f})")
        line("whole machine busy", f"{one_busy:.2f} cores", "(other users included)")
        print("Two web processes (same database and Redis), half the connections each:")
        line("throughput", f"{two:.0f} req/s", f"(errors {two_errors})")
        line("share of the ceiling", ceiling.share(two), "")
        line("web processes' CPU", f"{two_cpu:.2f} cores", f"(PostgreSQL {two_pg:.2f})")
        line("whole machine busy", f"{two_busy:.2f} cores", "(other users included)")
        print()
        line("ratio two / one", f"{two / one:.2f}", f"(2 would be linear; {os.cpu_count()} cores)")
        print(f"\nload at end: {loadavg()}", flush=True)
    finally:
        for server in servers:
            server.stop()
        _run(f'DROP DATABASE "{name}" WITH (FORCE)', admin)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
