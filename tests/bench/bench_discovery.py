"""Benchmark discovery: WebFinger and actor documents served by one `porch serve` process.

Run:  /tmp/venv/bin/python tests/bench/bench_discovery.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory),
creates the member ana, checks both answers once, then for each endpoint warms up and
loads it with 32 keep-alive connections: GET /.well-known/webfinger?resource=acct:ana@…
and GET /users/ana with Accept: application/activity+json. The load comes from wrk when
it is installed (--tool), otherwise from a small asyncio HTTP/1.1 client. It prints
requests per second, p50/p99 latency and server CPU next to the targets. Only prints:
no timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import (  # noqa: E402
    PORCH,
    ROOT,
    Server,
    cpu_seconds,
    free_port,
    line,
    loadavg,
    machine,
    percentile,
)

TARGET_RPS = 5000.0
AS2 = "application/activity+json"
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hello(request):
    return JSONResponse({"subject": "acct:ana@localhost", "links": []})

app = Starlette(routes=[Route("/", hello)])
"""


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk_load(
    url: str, accept: str | None, connections: int, seconds: float
) -> tuple[int, int, float, float, float]:
    """(requests, errors, elapsed s, p50 ms, p99 ms) from one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if accept:
        command += ["-H", f"Accept: {accept}"]
    out = subprocess.run(
        [*command, "--timeout", "10s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    if total is None:
        raise RuntimeError(f"unreadable wrk output:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses:|timeout) (\d+)", out))
    if sock := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+)", out):
        errors += sum(int(g) for g in sock.groups())
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s|m)\b", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s|m)\b", out)
    if p50 is None or p99 is None:
        raise RuntimeError(f"no latency distribution in wrk output:\n{out}")
    elapsed = _ms(total.group(2), total.group(3)) / 1000
    return int(total.group(1)), errors, elapsed, _ms(*p50.groups()), _ms(*p99.groups())


async def _asyncio_load(
    port: int, target: str, accept: str | None, connections: int, seconds: float
) -> tuple[int, int, float, float, float]:
    """The same figures from raw HTTP/1.1 keep-alive connections (no client library)."""
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    request = (head + (f"Accept: {accept}\r\n" if accept else "") + "\r\n").encode()
    timings: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                writer.write(request)
                status, _, headers = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
                size = re.search(rb"(?i)content-length:\s*(\d+)", headers)
                await reader.readexactly(int(size.group(1)) if size else 0)
                timings.append((time.perf_counter() - began) * 1000)
                errors += not status.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    return len(timings), errors, elapsed, percentile(timings, 50), percentile(timings, 99)


def load(
    tool: str, server: Server, target: str, accept: str | None, connections: int, seconds: float
) -> tuple[int, int, float, float, float]:
    if tool == "wrk":
        return wrk_load(server.base + target, accept, connections, seconds)
    return asyncio.run(_asyncio_load(server.port, target, accept, connections, seconds))


def baseline(tool: str, workdir: Path, args: argparse.Namespace) -> None:
    """The same load on a bare Starlette JSON endpoint under the same uvicorn: the ceiling."""
    (workdir / "bare_app.py").write_text(BARE_APP)
    bare = Server(workdir, free_port(), args.log_level)
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare.port)]
    proc = subprocess.Popen(
        [*command, "--log-level", args.log_level],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(bare.base + "/", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        load(tool, bare, "/", None, args.connections, args.warmup)
        done, errors, elapsed, p50, p99 = load(tool, bare, "/", None, args.connections, 5.0)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"Baseline (bare Starlette JSON endpoint, same uvicorn and log level, {tool}):")
    line("throughput", f"{done / elapsed:.0f} req/s", "(the ceiling here, now)")
    line("latency p50 / p99", f"{p50:.2f} / {p99:.2f} ms", f"(errors {errors})")
    print(flush=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    options.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds each")
    options.add_argument("--connections", type=int, default=32)
    options.add_argument("--tool", choices=("auto", "wrk", "asyncio"), default="auto")
    options.add_argument("--log-level", default="info", help="porch serve --log-level")
    options.add_argument("--no-baseline", action="store_true", help="skip the bare-app run")
    options.add_argument("--keep", action="store_true", help="keep the data directory")
    args = options.parse_args()
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "asyncio"

    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-discovery-"))
    server = Server(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    print("Porch discovery benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
        if not args.no_baseline:
            baseline(tool, workdir, args)
        server.start()
        subprocess.run(
            [str(PORCH), "user", "create", "ana", "--email", "ana@example.com", "--password-stdin"],
            input="bench-password-123\n",
            text=True,
            cwd=ROOT,
            env=server.env(),
            check=True,
            capture_output=True,
        )
        pid = server.pid()
        domain = f"localhost:{server.port}"
        endpoints = [
            ("WebFinger", f"/.well-known/webfinger?resource=acct:ana@{domain}", None),
            ("Actor document", "/users/ana", AS2),
        ]
        for label, target, accept in endpoints:
            headers = {"Accept": accept} if accept else {}
            check = httpx.get(server.base + target, headers=headers, timeout=10.0)
            kind = check.headers.get("content-type", "")
            if check.status_code != 200 or "json" not in kind:
                raise RuntimeError(f"{target}: HTTP {check.status_code} {kind}")
            load(tool, server, target, accept, args.connections, args.warmup)
            cpu_before = cpu_seconds(pid)
            done, errors, elapsed, p50, p99 = load(
                tool, server, target, accept, args.connections, args.duration
            )
            cpu = cpu_seconds(pid) - cpu_before
            print(
                f"{label} (GET {target}{', Accept: ' + accept if accept else ''}; HTTP "
                f"{check.status_code} {kind.split(';')[0]}, {len(check.content)} bytes; "
                f"{args.connections} connections for {elapsed:.1f} s with {tool} after "
                f"{args.warmup:.0f} s warm-up; server log level {args.log_level}):"
            )
            rps = done / elapsed
            line("throughput", f"{rps:.0f} req/s", f">= {TARGET_RPS:.0f} req/s", rps >= TARGET_RPS)
            line("requests / errors", f"{done} / {errors}", "(info)")
            line("latency p50", f"{p50:.2f} ms", "(info)")
            line("latency p99", f"{p99:.2f} ms", "(info)")
            line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
            line("server CPU per request", f"{cpu / max(done, 1) * 1000:.3f} ms", "(info)")
            print(flush=True)
    finally:
        server.stop()
        print(f"Load average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
