"""`porch feeds rebuild`: write members' home and list feeds again from the posts."""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor
from server.services import feeds


def cmd_feeds_rebuild(args: argparse.Namespace) -> None:
    """Rebuild every member's feeds (or one member's) from the posts."""
    from server.cli import _fail, _settings, _with_session  # the commands' own helpers

    settings = _settings()

    async def work(session: AsyncSession) -> int | None:
        if args.member is None:
            return await feeds.rebuild_all(session)
        found = await session.exec(
            select(Actor.id).where(
                Actor.username == args.member.lstrip("@"), col(Actor.domain).is_(None)
            )
        )
        member_id = found.first()
        if member_id is None:
            return None
        return await feeds.rebuild_all(session, [member_id])

    started = time.monotonic()
    done = _with_session(settings, work)
    if done is None:
        _fail(f"there is no member called {args.member}.")
    took = time.monotonic() - started
    print(f"Rebuilt the home and list feeds of {done} member(s) in {took:.1f} s.")


def register(commands: Any) -> None:
    """Add `porch feeds ...` to the command line's subcommands."""
    fed = commands.add_parser("feeds", help="home and list feeds").add_subparsers(
        dest="feeds_command", required=True
    )
    rebuild = fed.add_parser("rebuild", help="write the feeds again from the posts")
    rebuild.add_argument("--member", help="only this member's feeds (default: everyone's)")
    rebuild.set_defaults(func=cmd_feeds_rebuild)
