"""`porch user suspend|reject|approve|reinstate NAME --reason ...`: an operator's
decisions about a member, taken and recorded as the members page takes them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import Clock
from server.services import member_decisions
from server.services.accounts import Signed
from server.services.errors import ServiceError


def _decide(name: str) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        from server.cli import _fail, _settings, _with_session  # the commands' own helpers

        settings = _settings()

        async def work(session: AsyncSession) -> Signed:
            return await member_decisions.decide(
                session,
                settings,
                admin=None,
                username=args.name,
                name=name,
                reason=args.reason,
                now=Clock().now(),
            )

        try:
            found = _with_session(settings, work)
        except ServiceError as exc:
            _fail(exc.message)
        print(f"@{found.actor.username} is {member_decisions.decision(name).done}.")

    return command


def register(user: Any) -> None:
    """Add the decisions to the `porch user` subcommands."""
    for name, decision in member_decisions.DECISIONS.items():
        needed = " (needed: the member reads it)" if decision.reason_needed else ""
        sub = user.add_parser(name, help=f"{name} a member. {decision.effect}")
        sub.add_argument("name")
        sub.add_argument("--reason", default="", help=f"one line: why{needed}")
        sub.set_defaults(func=_decide(name))
