"""The porch command, run as an admin would run it: the installed entry point, in a
folder of its own."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from server import ROOT
from server.clock import utcnow

#: The `porch` script pip installs next to the interpreter.
PORCH = Path(sys.executable).with_name("porch")


def run_porch(
    cwd: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`porch ARGS` in `cwd`, importing this checkout, with only `env`'s PORCH_ settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [str(PORCH), *args],
        cwd=cwd,
        env={**inherited, "PYTHONPATH": path, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def porch(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`porch ARGS` with its data in `tmp_path`."""
    return run_porch(
        tmp_path, *args, stdin=stdin, env={"PORCH_DATA_DIR": str(tmp_path), **(env or {})}
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """What went wrong: the last line on stderr (the first says which data it used)."""
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture
def data(tmp_path: Path, sqlite_template: Path) -> Path:
    """A data directory holding a migrated database, as `porch serve` leaves one."""
    shutil.copy(sqlite_template, tmp_path / "porch.db")
    return tmp_path


def test_admin_creates_lists_and_suspends_members(data: Path) -> None:
    created = porch(data, "user", "create", "ana", "--email", "ana@example.com", "--admin")
    assert created.returncode == 0, created.stderr
    assert "Created admin @ana <ana@example.com>." in created.stdout
    assert "Password: " in created.stdout  # generated, since nobody typed one
    typed = porch(
        data,
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
    listing = porch(data, "user", "list")
    assert "ana" in listing.stdout and "admin" in listing.stdout
    assert "ben" in listing.stdout
    # A suspension says why, as on the members page: the member reads it when they try
    # to log in, and it is a decision on record they may appeal.
    unsaid = porch(data, "user", "suspend", "ben")
    assert unsaid.returncode == 2
    assert last_line(unsaid) == (
        "porch: Give a reason: the member reads it, and it goes in the audit log."
    )
    assert "suspended" not in porch(data, "user", "list").stdout
    suspended = porch(data, "user", "suspend", "ben", "--reason", "Spam links in every post")
    assert suspended.stdout.strip() == "@ben is suspended."
    assert "suspended" in porch(data, "user", "list").stdout
    log = sqlite3.connect(data / "porch.db")
    try:
        reasons = log.execute(
            "SELECT kind, reason, moderator_id FROM moderation_actions"
        ).fetchall()
    finally:
        log.close()
    assert reasons == [("suspend", "Spam links in every post", None)]
    reinstated = porch(data, "user", "reinstate", "ben")
    assert reinstated.stdout.strip() == "@ben is reinstated."


def test_cli_errors_are_one_clear_line(data: Path) -> None:
    porch(data, "user", "create", "ana", "--email", "ana@example.com")
    again = porch(data, "user", "create", "ANA", "--email", "x@example.com")
    assert again.returncode == 2
    assert last_line(again) == "porch: The username “ANA” is taken; choose another."
    missing = porch(data, "user", "suspend", "nobody", "--reason", "Spam")
    assert missing.returncode == 2
    assert "There is no member called nobody." in missing.stderr


def test_the_worker_needs_redis(data: Path) -> None:
    result = porch(data, "worker")
    assert result.returncode == 2
    assert "needs PORCH_REDIS_URL" in result.stderr


def test_migrate_brings_a_database_up_to_date(tmp_path: Path) -> None:
    result = porch(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "porch.db").exists()


def test_admin_blocks_limits_and_lifts_servers(data: Path) -> None:
    blocked = porch(data, "domain", "block", "Spam.Example", "--reason", "floods")
    assert blocked.returncode == 0, blocked.stderr
    assert blocked.stdout.strip() == "spam.example: block"
    assert porch(data, "domain", "limit", "loud.example").returncode == 0
    listing = porch(data, "domain", "list").stdout
    assert "spam.example" in listing and "floods" in listing and "loud.example" in listing
    assert porch(data, "domain", "allow", "spam.example").returncode == 0
    assert "spam.example" not in porch(data, "domain", "list").stdout
    bad = porch(data, "domain", "block", "not a domain")
    assert bad.returncode != 0 and "Give a domain" in bad.stderr


def test_admin_shows_sets_and_reviews_the_norms(data: Path) -> None:
    refused = porch(data, "norms", "set", "pause.post_seconds", "-5", "--reason", "oops")
    assert refused.returncode == 2
    assert last_line(refused) == "porch: Pause before a post must be between 0 and 3600 seconds."
    changed = porch(data, "norms", "set", "pause.post_seconds", "45", "--reason", "Slower evenings")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "pause.post_seconds is now 45."
    shown = porch(data, "norms", "show")
    assert "pause.post_seconds       45\n" in shown.stdout
    assert "posts.max_chars          500  (default)" in shown.stdout
    history = porch(data, "norms", "history")
    assert "pause.post_seconds: 30 -> 45 (command line): Slower evenings" in history.stdout


def test_sqlite_serves_one_web_process(tmp_path: Path) -> None:
    """Several web processes on one SQLite file meet "database is locked": refused, with
    the way forward."""
    result = porch(tmp_path, "serve", "--workers", "2", "--port", "58499")
    assert result.returncode == 2
    assert last_line(result) == (
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
    assert last_line(result).startswith("porch: cannot reach the database (")
    assert len(result.stderr.strip().splitlines()) == 2  # which database, and why not: no traceback


@pytest.mark.parametrize(
    "command",
    [
        ("user", "list"),
        ("user", "create", "ana", "--email", "ana@example.com", "--admin"),
        ("user", "suspend", "ana"),
        ("norms", "show"),
        ("norms", "history"),
        ("domain", "block", "spam.example"),
        ("domain", "list"),
        ("token", "create", "backup", "--member", "ana"),
        ("ranking", "rebuild"),
        ("feeds", "rebuild"),
        ("worker",),
    ],
)
def test_a_command_run_where_porch_keeps_no_data_says_so_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Ana runs porch from her home folder instead of the one Porch keeps its data in.
    result = run_porch(tmp_path, *command)

    assert result.returncode == 2
    said = result.stderr.strip().splitlines()
    assert said == [
        f"porch: data directory {tmp_path / 'data'}, database {tmp_path / 'data' / 'porch.db'}",
        f"porch: there is no data directory at {tmp_path / 'data'}. Run porch where Porch "
        "keeps its data, or set PORCH_DATA_DIR to it; `porch migrate` creates a new one.",
    ]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no ./data, no database, no key


def test_a_data_directory_without_a_database_is_refused_not_filled(tmp_path: Path) -> None:
    # A folder called data that is not Porch's (or whose database was moved away).
    (tmp_path / "data").mkdir()
    result = run_porch(tmp_path, "user", "list")
    assert result.returncode == 2
    assert last_line(result) == (
        f"porch: there is no database at {tmp_path / 'data' / 'porch.db'}. Run porch where "
        "Porch keeps its data, or set PORCH_DATA_DIR to it; `porch migrate` creates a new one."
    )
    assert list((tmp_path / "data").iterdir()) == []


def test_an_empty_database_file_is_refused_with_the_way_forward(tmp_path: Path) -> None:
    (tmp_path / "porch.db").touch()
    result = porch(tmp_path, "user", "list")
    assert result.returncode == 2
    assert (
        last_line(result) == "porch: the database holds no Porch tables: run `porch migrate` first."
    )


def test_migrate_creates_the_data_directory_that_other_commands_then_use(tmp_path: Path) -> None:
    migrated = run_porch(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stderr.startswith(f"porch: data directory {tmp_path / 'data'}, database ")
    assert (tmp_path / "data" / "porch.db").is_file()

    listing = run_porch(tmp_path, "user", "list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("No members yet.")

    # Elsewhere, PORCH_DATA_DIR names the same directory.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = run_porch(elsewhere, "user", "list", env={"PORCH_DATA_DIR": str(tmp_path / "data")})
    assert found.returncode == 0, found.stderr
    assert found.stderr.startswith(f"porch: data directory {tmp_path / 'data'},")
    assert list(elsewhere.iterdir()) == []


def test_a_server_database_without_porch_tables_is_refused(tmp_path: Path) -> None:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.conftest import POSTGRES_URL, need_service

    need_service("postgres", POSTGRES_URL)
    admin = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    name = f"porch_empty_{os.getpid()}"

    async def run(statement: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        result = porch(tmp_path, "user", "list", env={"PORCH_DATABASE_URL": url})
    finally:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))
    assert result.returncode == 2
    assert result.stderr.startswith(f"porch: data directory {tmp_path}, database postgresql")
    assert (
        last_line(result) == "porch: the database holds no Porch tables: run `porch migrate` first."
    )


def test_admin_rebuilds_feeds_for_everyone_or_one_member(data: Path) -> None:
    for name in ("ana", "ben"):
        assert porch(data, "user", "create", name, "--email", f"{name}@example.com").returncode == 0
    everyone = porch(data, "feeds", "rebuild")
    assert everyone.returncode == 0, everyone.stderr
    assert everyone.stderr.startswith("porch: data directory ")  # which data it rebuilt
    assert "Rebuilt the home and list feeds of 2 member(s)" in everyone.stdout
    one = porch(data, "feeds", "rebuild", "--member", "@ana")
    assert "Rebuilt the home and list feeds of 1 member(s)" in one.stdout
    nobody = porch(data, "feeds", "rebuild", "--member", "zed")
    assert nobody.returncode == 2
    assert last_line(nobody) == "porch: there is no member called zed."


def test_admin_makes_a_member_a_moderator_and_keeps_the_last_admin(data: Path) -> None:
    porch(data, "user", "create", "ana", "--email", "ana@example.com", "--admin")
    porch(data, "user", "create", "ben", "--email", "ben@example.com")
    made = porch(data, "user", "role", "ben", "moderator")
    assert made.returncode == 0, made.stderr
    assert "@ben is now a moderator." in made.stdout
    assert "moderator" in porch(data, "user", "list").stdout
    refused = porch(data, "user", "role", "ana", "member")
    assert refused.returncode != 0
    assert "@ana is the last admin; make another admin first." in last_line(refused)
    wrong = porch(data, "user", "role", "ben", "king")
    assert wrong.returncode != 0 and "invalid choice" in wrong.stderr


def test_admin_runs_the_care_upkeep_at_once(data: Path) -> None:
    assert "Followed up 0 moments of care" in porch(data, "care", "upkeep").stdout
    # A post withdrawn in its pause (its row gone) is settled: followed up at once, once;
    # an older one is past keeping (90 days) and folds into the daily counts.
    recent = (utcnow() - timedelta(days=10)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(data / "porch.db") as db:
        for created in (recent, "2020-01-01 00:00:00.000000"):
            db.execute(
                "INSERT INTO care_events (kind, detail, outcome, reply_id, norms_version, arm,"
                " created_at) VALUES ('pause', 'post', 'withdrawn', 424242, 0, '', ?)",
                (created,),
            )
    done = porch(data, "care", "upkeep")
    assert done.returncode == 0, done.stderr
    assert "Followed up 2 moments of care; folded 1 past keeping" in done.stdout
    with sqlite3.connect(data / "porch.db") as db:
        [(followed,)] = db.execute("SELECT followed_up_at FROM care_events").fetchall()
    assert followed is not None
    assert "Followed up 0 moments of care" in porch(data, "care", "upkeep").stdout
