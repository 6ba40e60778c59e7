"""Benchmark discovery: WebFinger, actor, NodeInfo and post documents from one `porch serve`.

Run:  /tmp/venv/bin/python tests/bench/bench_discovery.py [--help]

It starts `porch serve` (one uvicorn process, SQLite in a temporary data directory),
creates the member ana, who writes one public post (with no pause), checks each answer
once, then for each endpoint warms up and loads it with 32 keep-alive connections:
GET /.well-known/webfinger?resource=acct:ana@…, GET /users/ana and the post with Accept:
application/activity+json, GET /.well-known/nodeinfo and /nodeinfo/2.1. The load comes
from wrk when it is installed (--tool), otherwise from a small asyncio HTTP/1.1 client.
It prints requests per second, errors (anything but 2xx/3xx, timeouts, socket errors),
p50/p99 latency and server CPU next to the targets. Only prints: no timing assertions.
"""

from __future__ import annotations

import argparse
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
)
from tests.bench.ceiling import baseline, load  # noqa: E402

TARGET_RPS = 10000.0
AS2 = "application/activity+json"
PASSWORD = "bench-password-123"


class DiscoveryServer(Server):
    """`porch serve` where a post goes out at once (its document is one of the loads)."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "PORCH_PAUSE_POST_SECONDS": "0"}


def public_post(base: str) -> str:
    """Ana signs in and writes a public post; the path of its document once published."""
    with httpx.Client(base_url=base, timeout=10.0) as client:
        for page, form in (
            ("/login", {"login": "ana", "password": PASSWORD, "next": "/"}),
            ("/compose", {"text": "Bread is ready", "visibility": "public", "spoiler_text": ""}),
        ):
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
            if token is None:
                raise RuntimeError(f"no form on {page}")
            action = "/login" if page == "/login" else "/posts"
            answer = client.post(action, data={**form, "csrf_token": token.group(1)})
            if answer.status_code != 303:
                raise RuntimeError(f"POST {action}: HTTP {answer.status_code}")
        post_id = answer.headers["location"].rsplit("/", 1)[1]
    path = f"/users/ana/statuses/{post_id}"
    for _ in range(500):  # published by the job loop within moments
        if httpx.get(base + path, headers={"Accept": AS2}).status_code == 200:
            return path
        time.sleep(0.01)
    raise RuntimeError(f"{path} was not published")


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
    server = DiscoveryServer(workdir / "data", free_port(), args.log_level)
    server.data_dir.mkdir()
    print("Porch discovery benchmark\nMachine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    print(f"  data    {workdir}\n  load    {loadavg()} (1/5/15 min; other work skews it)\n")
    try:
        ceiling = None
        if not args.no_baseline:
            ceiling = baseline(tool, workdir, args.connections, args.warmup, args.log_level)
        server.start()
        subprocess.run(
            [str(PORCH), "user", "create", "ana", "--email", "ana@example.com", "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            cwd=ROOT,
            env=server.env(),
            check=True,
            capture_output=True,
        )
        pid = server.pid()
        domain = f"localhost:{server.port}"
        post = public_post(server.base)
        endpoints = [
            ("WebFinger", f"/.well-known/webfinger?resource=acct:ana@{domain}", None),
            ("Actor document", "/users/ana", AS2),
            ("NodeInfo links", "/.well-known/nodeinfo", None),
            ("NodeInfo 2.1", "/nodeinfo/2.1", None),
            ("Post document", post, AS2),
        ]
        summary: list[str] = []
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
            if ceiling is not None:
                line("share of the ceiling", ceiling.share(rps), "(info)")
            line("requests / errors", f"{done} / {errors}", "0 errors", errors == 0)
            line("latency p50", f"{p50:.2f} ms", "(info)")
            line("latency p99", f"{p99:.2f} ms", "(info)")
            line("server CPU during load", f"{cpu / elapsed * 100:.0f} %", "(100 % = one core)")
            line("server CPU per request", f"{cpu / max(done, 1) * 1000:.3f} ms", "(info)")
            print(flush=True)
            share = f"{rps / ceiling.rps * 100:.0f} %" if ceiling is not None else "-"
            summary.append(
                f"  {label:<16} {rps:>8.0f} req/s  {share:>5} of ceiling  {errors} errors"
            )
        if ceiling is not None:
            summary.insert(0, f"  {'ceiling':<16} {ceiling.rps:>8.0f} req/s")
        print("Summary:\n" + "\n".join(summary))
    finally:
        server.stop()
        print(f"Load average at the end: {loadavg()}")
        if args.keep:
            print(f"\nKept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
