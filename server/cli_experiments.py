"""`porch norms try NAME VALUE --days N --reason ...` and `porch norms adopt|drop ID`: an
operator tries a norm on half of members and decides it, as the norms console does."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import Clock
from server.models import NormExperiment
from server.services import experiments, norms
from server.services.errors import ServiceError


def cmd_try(args: argparse.Namespace) -> None:
    from server.cli import _fail, _settings, _with_session  # the commands' own helpers

    settings = _settings(upgrade=True)
    value = args.value.replace("\\n", "\n")  # lines as "first\nsecond" on one command line

    async def work(session: AsyncSession) -> NormExperiment:
        return await experiments.start(
            session,
            settings,
            args.name,
            value,
            days=args.days,
            reason=args.reason,
            actor_id=None,
            now=Clock().now(),
        )

    try:
        found = _with_session(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    known = norms.norm(found.name)
    print(
        f"Experiment {found.id}: half of members have {args.name} = "
        f"{known.show(found.new_value)} (the others {known.show(found.old_value)}) "
        f"until {found.ends_at:%Y-%m-%d %H:%M} UTC. Then: porch norms adopt|drop {found.id}"
    )


def _decide(adopt: bool) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        from server.cli import _fail, _settings, _with_session

        settings = _settings(upgrade=True)

        async def work(session: AsyncSession) -> NormExperiment:
            return await experiments.decide(
                session,
                settings,
                args.id,
                adopt,
                reason=args.reason,
                actor_id=None,
                now=Clock().now(),
            )

        try:
            found = _with_session(settings, work)
        except ServiceError as exc:
            _fail(exc.message)
        value = norms.norm(found.name).show(found.new_value if adopt else found.old_value)
        print(f"Experiment {found.id} {found.decision}: {found.name} is {value} for everyone.")

    return command


def register(norm: Any) -> None:
    """Add try, adopt and drop to the `porch norms` subcommands."""
    trying = norm.add_parser(
        "try", help="try a pause, tone or card norm on a random half of members"
    )
    trying.add_argument("name")
    trying.add_argument("value", help=r"lines of a list norm are separated by \n")
    trying.add_argument(
        "--days", type=int, default=experiments.DEFAULT_DAYS, help="how long (1 to 90)"
    )
    trying.add_argument("--reason", default="", help="one line: why")
    trying.set_defaults(func=cmd_try)
    for name, adopt, effect in (
        ("adopt", True, "set the experiment's value for everyone"),
        ("drop", False, "end the experiment; the value in force stays"),
    ):
        sub = norm.add_parser(name, help=effect)
        sub.add_argument("id", type=int)
        sub.add_argument("--reason", default="", help="one line: why")
        sub.set_defaults(func=_decide(adopt))
