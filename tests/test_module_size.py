"""No module grows past 400 lines: one that long has more than one job (STYLE.md).

Every Python file under server/, federation/ and tests/ counts; migrations are history
and do not. A module that outgrows the limit is split by job into well-named modules,
not given a place on the lists below.
"""

from __future__ import annotations

from server import ROOT

LIMIT = 400
CHECKED = ("server", "federation", "tests")

#: The one exception in the code: registry data, one entry per norm, read as a table.
REGISTRY_DATA = {"server/services/norms_registry.py"}

#: Test and benchmark files already past the limit, to be split by the behaviour they
#: cover. The list only shrinks: a file that is split comes off it (a test checks).
TESTS_TO_SPLIT = {
    "tests/api/test_bad_input.py",
    "tests/api/test_fuzz.py",
    "tests/bench/bench_ranking.py",
    "tests/bench/bench_serve.py",
    "tests/bench/community.py",
    "tests/browser/test_stories.py",
    "tests/federation/test_fetch.py",
    "tests/federation/test_inbox.py",
    "tests/federation/test_signatures.py",
    "tests/test_ranking.py",
}


def lengths() -> dict[str, int]:
    """Lines of every checked module, by path from the repository root."""
    found: dict[str, int] = {}
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            found[path.relative_to(ROOT).as_posix()] = len(path.read_text().splitlines())
    return found


def test_no_module_is_longer_than_400_lines() -> None:
    long = {
        path: n
        for path, n in lengths().items()
        if n > LIMIT and path not in REGISTRY_DATA | TESTS_TO_SPLIT
    }
    assert not long, f"split these by job (lines): {long}"


def test_the_exceptions_are_still_long_and_still_there() -> None:
    # A file split or removed comes off the list, so the list never hides a new one.
    found = lengths()
    stale = sorted(p for p in REGISTRY_DATA | TESTS_TO_SPLIT if found.get(p, 0) <= LIMIT)
    assert not stale, f"no longer past {LIMIT} lines: take them off the list: {stale}"
