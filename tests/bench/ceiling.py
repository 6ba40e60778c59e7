"""The ceiling every benchmark measures itself against: a bare Starlette JSON endpoint
under the same uvicorn, loaded the same way in the same run.

The machine is shared and noisy, so a figure alone says little; Porch's figure as a
share of this one, measured minutes apart, shows a change. `load` drives any server
with wrk when it is installed, otherwise with a small asyncio HTTP/1.1 client.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_serve import Server, free_port, line, percentile  # noqa: E402

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hello(request):
    return JSONResponse({"subject": "acct:ana@localhost", "links": []})

app = Starlette(routes=[Route("/", hello)])
"""


@dataclass(frozen=True)
class Ceiling:
    """What the bare endpoint did: Porch's figures are printed as a share of `rps`."""

    rps: float
    p50_ms: float
    p99_ms: float
    tool: str
    connections: int

    def share(self, rps: float) -> str:
        """`rps` as a share of the ceiling, as the benchmarks print it."""
        return f"{rps / self.rps * 100:.1f} % of the bare Starlette endpoint ({self.rps:.0f} req/s)"


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk_load(
    url: str,
    accept: str | None,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> tuple[int, int, float, float, float]:
    """(requests, errors, elapsed s, p50 ms, p99 ms) from one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if accept:
        command += ["-H", f"Accept: {accept}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
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
    port: int,
    target: str,
    accept: str | None,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> tuple[int, int, float, float, float]:
    """The same figures from raw HTTP/1.1 keep-alive connections (no client library)."""
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
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
    tool: str,
    server: Server,
    target: str,
    accept: str | None,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> tuple[int, int, float, float, float]:
    if tool == "wrk":
        return wrk_load(server.base + target, accept, connections, seconds, headers)
    return asyncio.run(_asyncio_load(server.port, target, accept, connections, seconds, headers))


def baseline(
    tool: str, workdir: Path, connections: int, warmup: float, log_level: str = "info"
) -> Ceiling:
    """The same load on a bare Starlette JSON endpoint under the same uvicorn: the ceiling."""
    (workdir / "bare_app.py").write_text(BARE_APP)
    bare = Server(workdir, free_port(), log_level)
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare.port)]
    proc = subprocess.Popen(
        [*command, "--log-level", log_level],
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
        load(tool, bare, "/", None, connections, warmup)
        done, errors, elapsed, p50, p99 = load(tool, bare, "/", None, connections, 5.0)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"Baseline (bare Starlette JSON endpoint, same uvicorn and log level, {tool}):")
    line("throughput", f"{done / elapsed:.0f} req/s", "(the ceiling here, now)")
    line("latency p50 / p99", f"{p50:.2f} / {p99:.2f} ms", f"(errors {errors})")
    print(flush=True)
    return Ceiling(done / elapsed, p50, p99, tool, connections)
