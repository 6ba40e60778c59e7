"""`porch user reset-password NAME`: a link to set a new password, for an admin to hand on.

It works with or without a mail server: without one it is how a member who forgot their
password gets back in.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import Clock
from server.services import mail_tokens
from server.services.errors import ServiceError


def cmd_user_reset_password(args: argparse.Namespace) -> None:
    """Print a one-use link, valid for an hour, that sets a new password for a member."""
    from server.cli import _fail, _settings, _with_session  # the commands' own helpers

    settings = _settings()

    async def work(session: AsyncSession) -> str:
        return await mail_tokens.reset_link(session, args.name, Clock().now())

    try:
        path = _with_session(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    minutes = int(mail_tokens.LIFETIMES[mail_tokens.TokenPurpose.reset].total_seconds() // 60)
    print(f"Give @{args.name.lstrip('@')} this link; it works once, for {minutes} minutes:")
    print(settings.base_url + path)


def register(user: Any) -> None:
    """Add `porch user reset-password` to the `porch user` subcommands."""
    sub = user.add_parser("reset-password", help="print a link that sets a new password")
    sub.add_argument("name")
    sub.set_defaults(func=cmd_user_reset_password)
