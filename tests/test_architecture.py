"""The dependency rules from DESIGN.md, held by walking imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from server import ROOT

DOORS = ("starlette", "httpx", "jinja2", "federation", "server.web", "server.api", "uvicorn")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_services_never_import_a_door() -> None:
    for path in sorted((ROOT / "server" / "services").glob("*.py")):
        bad = {name for name in imports_of(path) if name.startswith(DOORS)}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_web_and_api_never_import_federation() -> None:
    """They reach other servers through the services' remote-lookup port, so every door
    behaves the same; URLs come from server/urls.py, which every door shares."""
    doors = [ROOT / "server" / "web", ROOT / "server" / "api"]
    for path in sorted(p for door in doors for p in door.rglob("*.py")):
        bad = {n for n in imports_of(path) if n == "federation" or n.startswith("federation.")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_one_urls_class_for_every_door() -> None:
    """URL building lives in one module; a second Urls would drift from it."""
    defining = [
        path.relative_to(ROOT)
        for folder in ("server", "federation")
        for path in (ROOT / folder).rglob("*.py")
        if "class Urls" in path.read_text()
    ]
    assert defining == [Path("server/urls.py")]


def test_models_have_no_wire_format_methods() -> None:
    for path in sorted((ROOT / "server" / "models").glob("*.py")):
        source = path.read_text()
        assert "def to_" not in source, path.name


def test_only_federation_opens_outbound_http() -> None:
    for path in sorted((ROOT / "server").rglob("*.py")):
        assert "httpx" not in imports_of(path), path


def test_the_embedded_default_loads_no_redis_or_postgresql_driver() -> None:
    """Idle memory is a target (tests/bench/bench_serve.py): the SQLite, no-Redis default
    must not import redis-py, arq or asyncpg just to start."""
    probe = (
        "import sys, server.app, server.cli, server.jobs;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'redis', 'arq', 'asyncpg'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert found.stdout.strip() == "[]", found.stdout
