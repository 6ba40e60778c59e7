"""Real Porch servers for tests: uvicorn subprocesses serving https on loopback addresses.

Each server gets its own data directory (SQLite, migrated at start), a certificate for
its IP address from a test CA (trustme), and settings that let federation reach the
other servers on loopback and trust that CA.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme

from server import ROOT

START_SECONDS = 30.0
STOP_SECONDS = 5.0


@dataclass
class Server:
    """One running Porch process."""

    host: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base(self) -> str:
        return f"https://{self.domain}"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def loopback_hosts(count: int) -> list[str]:
    """127.0.0.2, 127.0.0.3, ... where the host can bind them (Linux routes all of
    127/8 to lo); otherwise 127.0.0.1 for all, the servers told apart by port."""
    hosts = [f"127.0.0.{2 + n}" for n in range(count)]
    try:
        for host in hosts:
            with socket.socket() as probe:
                probe.bind((host, 0))
    except OSError:
        return ["127.0.0.1"] * count
    return hosts


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """What a client that trusts the test CA verifies with."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _environment(
    domain: str, folder: Path, ca_file: Path, allowed: str, extra: dict[str, str]
) -> dict[str, str]:
    # Nothing of the caller's Porch settings leaks in (PORCH_REDIS_URL least of all).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
    env.update(
        PORCH_DOMAIN=domain,
        # Derived as false for 127.0.0.1, which the fallback uses; these serve https.
        PORCH_HTTPS="true",
        PORCH_DATA_DIR=str(folder / "data"),
        PORCH_SECRET_KEY="tls-test-secret-" + "x" * 40,
        PORCH_REDIS_URL="",
        PORCH_DATABASE_URL="",
        PORCH_PUBLIC_CACHE_SECONDS="0",
        PORCH_FEDERATION_ALLOW_PRIVATE=allowed,
        PORCH_FEDERATION_CA_FILE=str(ca_file),
        # Tests of cards and nudges expect them shown (none is held back at random).
        PORCH_HOLDOUT_CARDS_PERCENT="0",
        PORCH_HOLDOUT_NUDGES_PERCENT="0",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _launch(
    host: str, folder: Path, ca: trustme.CA, ca_file: Path, allowed: str, extra: dict[str, str]
) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    cert = ca.issue_cert(host)
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(cert_file), append=True)
    port = free_port(host)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "server.app:app_from_environment",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--ssl-keyfile",
        str(key_file),
        "--ssl-certfile",
        str(cert_file),
        "--no-access-log",
    ]
    env = _environment(f"{host}:{port}", folder, ca_file, allowed, extra)
    # A file, not a pipe: nobody reads a pipe while the test runs, and a full one
    # would block the server.
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(host, port, folder, process)


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _wait_healthy(servers: Sequence[Server], context: ssl.SSLContext) -> None:
    deadline = time.monotonic() + START_SECONDS
    waiting = list(servers)
    with httpx.Client(verify=context, timeout=2.0) as client:
        while waiting:
            server = waiting[0]
            if server.process.poll() is not None:
                pytest.fail(
                    f"Porch on {server.domain} exited with {server.process.returncode} "
                    f"before it was healthy; its log ends:\n{server.log_tail()}",
                    pytrace=False,
                )
            try:
                if client.get(server.base + "/healthz").status_code == 200:
                    waiting.pop(0)
                    continue
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Porch on {server.domain} was not healthy after {START_SECONDS:.0f} s; "
                    f"its log ends:\n{server.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.1)


@contextmanager
def porch_servers(
    folder: Path, ca: trustme.CA, count: int = 2, **settings: str
) -> Iterator[list[Server]]:
    """Start `count` Porch servers that federate with each other over TLS, wait until
    each answers /healthz, and stop them all on the way out, whatever happened.

    `settings` are extra PORCH_* variables, such as PORCH_PAUSE_POST_SECONDS="1".
    """
    hosts = loopback_hosts(count)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    allowed = ",".join(sorted(set(hosts)))
    with ExitStack() as stack:
        servers: list[Server] = []
        for n, host in enumerate(hosts):
            server = _launch(host, folder / f"porch-{n}", ca, ca_file, allowed, settings)
            stack.callback(_stop, server)
            servers.append(server)
        _wait_healthy(servers, client_context(ca))
        yield servers
