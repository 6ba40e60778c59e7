"""`porch care upkeep`: the worker's care upkeep run at once, from the command line."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_care_upkeep(args: argparse.Namespace) -> None:
    """Follow up every moment whose windows have passed and fold what is past keeping,
    now rather than at the worker's next hourly run (after a restore, or to read the
    dashboard at once)."""
    from server.cli import _settings, _with_session
    from server.clock import utcnow
    from server.services import care_upkeep

    settings = _settings()
    done = _with_session(settings, lambda session: care_upkeep.run(session, settings, utcnow()))
    print(
        f"Followed up {done.followed_up} moments of care; "
        f"folded {done.folded} past keeping into daily counts."
    )


def register(commands: Any) -> None:
    """Add the `care` command to the `porch` parser's subcommands."""
    care = commands.add_parser("care", help="what the care led to (the norms dashboard)")
    actions = care.add_subparsers(dest="care_command", required=True)
    actions.add_parser(
        "upkeep", help="follow up moments whose windows have passed, then apply keeping"
    ).set_defaults(func=cmd_care_upkeep)
