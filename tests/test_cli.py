"""The porch command, run as an admin would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def porch(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORCH_DATA_DIR": str(tmp_path), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_admin_creates_lists_and_suspends_members(tmp_path: Path) -> None:
    created = porch(tmp_path, "user", "create", "ana", "--email", "ana@example.com", "--admin")
    assert created.returncode == 0, created.stderr
    assert "Created admin @ana <ana@example.com>." in created.stdout
    assert "Password: " in created.stdout  # generated, since nobody typed one
    typed = porch(
        tmp_path,
        "user",
        "create",
        "ben",
        "--email",
        "ben@example.com",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert typed.returncode == 0, typed.stderr
    assert "Password:" not in typed.stdout
    listing = porch(tmp_path, "user", "list")
    assert "ana" in listing.stdout and "admin" in listing.stdout
    assert "ben" in listing.stdout
    suspended = porch(tmp_path, "user", "suspend", "ben")
    assert suspended.stdout.strip() == "@ben is suspended."
    assert "suspended" in porch(tmp_path, "user", "list").stdout


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    porch(tmp_path, "user", "create", "ana", "--email", "ana@example.com")
    again = porch(tmp_path, "user", "create", "ANA", "--email", "x@example.com")
    assert again.returncode == 2
    assert again.stderr.strip() == "porch: The username “ANA” is taken; choose another."
    missing = porch(tmp_path, "user", "suspend", "nobody")
    assert missing.returncode == 2
    assert "There is no member called nobody." in missing.stderr


def test_the_worker_needs_redis(tmp_path: Path) -> None:
    result = porch(tmp_path, "worker")
    assert result.returncode == 2
    assert "needs PORCH_REDIS_URL" in result.stderr


def test_migrate_brings_a_database_up_to_date(tmp_path: Path) -> None:
    result = porch(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "porch.db").exists()


def test_admin_blocks_limits_and_lifts_servers(tmp_path: Path) -> None:
    blocked = porch(tmp_path, "domain", "block", "Spam.Example", "--reason", "floods")
    assert blocked.returncode == 0, blocked.stderr
    assert blocked.stdout.strip() == "spam.example: block"
    assert porch(tmp_path, "domain", "limit", "loud.example").returncode == 0
    listing = porch(tmp_path, "domain", "list").stdout
    assert "spam.example" in listing and "floods" in listing and "loud.example" in listing
    assert porch(tmp_path, "domain", "allow", "spam.example").returncode == 0
    assert "spam.example" not in porch(tmp_path, "domain", "list").stdout
    bad = porch(tmp_path, "domain", "block", "not a domain")
    assert bad.returncode != 0 and "Give a domain" in bad.stderr


def test_admin_shows_sets_and_reviews_the_norms(tmp_path: Path) -> None:
    refused = porch(tmp_path, "norms", "set", "pause.post_seconds", "-5", "--reason", "oops")
    assert refused.returncode == 2
    assert (
        refused.stderr.strip() == "porch: Pause before a post must be between 0 and 3600 seconds."
    )
    changed = porch(
        tmp_path, "norms", "set", "pause.post_seconds", "45", "--reason", "Slower evenings"
    )
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "pause.post_seconds is now 45."
    shown = porch(tmp_path, "norms", "show")
    assert "pause.post_seconds       45\n" in shown.stdout
    assert "posts.max_chars          500  (default)" in shown.stdout
    history = porch(tmp_path, "norms", "history")
    assert "pause.post_seconds: 30 -> 45 (command line): Slower evenings" in history.stdout


def test_sqlite_serves_one_web_process(tmp_path: Path) -> None:
    """Several web processes on one SQLite file meet "database is locked": refused, with
    the way forward."""
    result = porch(tmp_path, "serve", "--workers", "2", "--port", "58499")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "porch: SQLite serves one web process; run without --workers, "
        "or use PostgreSQL (PORCH_DATABASE_URL=postgresql://...) for several."
    )
    assert not (tmp_path / "porch.db").exists()  # refused before touching anything


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = porch(
        tmp_path,
        "user",
        "list",
        env={"PORCH_DATABASE_URL": f"postgresql://porch@127.0.0.1:{port}/porch"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("porch: cannot reach the database (")
    assert len(result.stderr.strip().splitlines()) == 1
