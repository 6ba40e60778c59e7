"""`porch counters rebuild`: every counter row recounted from the posts, likes and follows."""

from __future__ import annotations

import argparse
import time
from typing import Any


def cmd_counters_rebuild(args: argparse.Namespace) -> None:
    """Recount every post's and person's counts (after a restore, or to check them)."""
    from server.cli import _settings, _with_session
    from server.services import counters

    started = time.monotonic()
    posts, people = _with_session(_settings(), counters.rebuild)
    took = time.monotonic() - started
    print(f"Recounted the counts of {posts} posts and {people} people in {took:.1f} s.")


def register(commands: Any) -> None:
    """Add the `counters` command to the `porch` parser's subcommands."""
    counters = commands.add_parser("counters", help="counts shown beside posts and people")
    actions = counters.add_subparsers(dest="counters_command", required=True)
    actions.add_parser(
        "rebuild", help="recount every post's and person's counts from the data"
    ).set_defaults(func=cmd_counters_rebuild)
