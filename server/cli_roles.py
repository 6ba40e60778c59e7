"""`porch user role NAME member|moderator|admin`: who handles reports, who changes norms."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import Clock
from server.models import MemberRole
from server.services import roles
from server.services.accounts import Signed
from server.services.errors import ServiceError


def cmd_user_role(args: argparse.Namespace) -> None:
    """Give a member a role; recorded in the audit log (by the command line)."""
    from server.cli import _fail, _settings, _with_session  # the commands' own helpers

    settings = _settings()
    try:
        role = roles.parse_role(args.role)

        async def work(session: AsyncSession) -> Signed:
            return await roles.set_role(
                session, args.name, role, by_actor_id=None, now=Clock().now()
            )

        found = _with_session(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    print(f"@{found.actor.username} is now {'an' if role is MemberRole.admin else 'a'} {role}.")


def register(user: Any) -> None:
    """Add `porch user role` to the `porch user` subcommands."""
    sub = user.add_parser("role", help="make a member a member, moderator or admin")
    sub.add_argument("name")
    sub.add_argument("role", choices=[r.value for r in MemberRole])
    sub.set_defaults(func=cmd_user_role)
