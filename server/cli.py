"""The `porch` command: serve, worker, migrate, user management."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import secrets
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server import (
    cli_care,
    cli_counters,
    cli_experiments,
    cli_feeds,
    cli_mail,
    cli_members,
    cli_roles,
    datadir,
)
from server.clock import Clock
from server.config import Settings, SettingsError, load_settings, read_settings
from server.db import make_engine, make_sessions, migrate_blocking, unavailable
from server.models import DomainPolicy, MemberRole
from server.services import accounts, domains, norms, oauth_tokens, signal_rebuild, thread_sums
from server.services.errors import ServiceError

T = TypeVar("T")


def _fail(message: str) -> None:
    print(f"porch: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings(*, create: bool = False, upgrade: bool = False, schema: bool = True) -> Settings:
    """The settings, once the command has said which data it works on. Only serve and
    migrate `create` the data directory and database; other commands refuse to work
    without one (server/datadir.py). `upgrade`: migrate an existing SQLite database
    first (the embedded default needs no separate migrate step)."""
    try:
        found = read_settings()
        print(f"porch: {datadir.describe(found)}", file=sys.stderr)
        if not create:
            datadir.require_data(found)
        settings = load_settings()
        if upgrade and settings.is_sqlite:
            migrate_blocking(settings.database_url)
        if not create and schema:
            datadir.require_schema(settings)
        return settings
    except SettingsError as exc:
        _fail(f"invalid setting {exc}")
    except datadir.NoDatabase as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessions(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings(create=True)
    if settings.is_sqlite and args.workers > 1:
        # SQLite has one writer at a time and each web process migrates and sweeps on its
        # own: several processes on one file meet "database is locked" under load.
        _fail(
            "SQLite serves one web process; run without --workers, or use PostgreSQL "
            "(PORCH_DATABASE_URL=postgresql://...) for several."
        )
    host_port = settings.domain.rsplit(":", 1)
    port = args.port or (
        int(host_port[1]) if len(host_port) == 2 and host_port[1].isdigit() else 8000
    )
    shown = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{port}"
    print(f"Porch is starting. Open {shown} in your browser.", flush=True)
    if settings.base_url != shown:
        print(f"Public address: {settings.base_url}", flush=True)
    uvicorn.run(
        "server.app:app_from_environment",
        factory=True,
        host=args.host,
        port=port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        # Streaming connections stay open: give them a moment, then stop anyway.
        timeout_graceful_shutdown=5,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _settings(schema=False)  # it waits for the database to come up
    if not settings.redis_url:
        _fail("the worker needs PORCH_REDIS_URL. Without Redis, `porch serve` runs jobs itself.")
    from server import worker

    if args.check:
        from arq.worker import async_check_health

        from server.jobs import redis_settings
        from server.outages import redis_errors

        try:
            raise SystemExit(asyncio.run(async_check_health(redis_settings(settings.redis_url))))
        except redis_errors() as exc:
            _fail(f"Redis is unreachable: {exc}")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(settings, stop)

    asyncio.run(run())


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings(create=True)
    migrate_blocking(settings.database_url)
    print("The database is up to date.")


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        typed = getpass.getpass("Password (leave empty to generate one): ")
        if typed:
            if getpass.getpass("Again: ") != typed:
                _fail("the passwords did not match")
            return typed, False
    return secrets.token_urlsafe(18), True


def cmd_user_create(args: argparse.Namespace) -> None:
    settings = _settings(upgrade=True)
    password, generated = _password(args)

    async def work(session: AsyncSession) -> accounts.Signed:
        return await accounts.create_member(
            session,
            username=args.name,
            email=args.email,
            password=password,
            role=MemberRole.admin if args.admin else MemberRole.member,
            confirmed=True,  # the admin vouches for the address
            now=Clock().now(),
        )

    try:
        created = _with_session(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    role = "admin" if args.admin else "member"
    print(f"Created {role} @{created.actor.username} <{created.member.email}>.")
    if generated:
        print(f"Password: {password}")


def cmd_user_list(args: argparse.Namespace) -> None:
    settings = _settings()
    found = _with_session(settings, accounts.list_members)
    if not found:
        print("No members yet. Create one with: porch user create NAME --email E --admin")
    for item in found:
        print(
            f"{item.actor.username:<30} {item.member.email:<40} {item.member.role:<9} {item.member.state}"
        )


def _set_domain(policy: DomainPolicy) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        settings = _settings(upgrade=True)
        try:
            row = _with_session(
                settings,
                lambda s: domains.set_policy(s, args.domain, policy, args.reason, Clock().now()),
            )
        except ServiceError as exc:
            _fail(exc.message)
        print(f"{row.domain}: {row.policy}")

    return command


def cmd_token_create(args: argparse.Namespace) -> None:
    """A bearer token for a member's script or bot; listed and revocable like any app."""
    settings = _settings(upgrade=True)

    async def work(session: AsyncSession) -> oauth_tokens.Issued:
        member = (await accounts.local_member(session, args.member)).member
        assert member.id is not None
        return await oauth_tokens.create_token(
            session, member.id, args.name, args.scopes, Clock().now()
        )

    try:
        issued = _with_session(settings, work)
    except ServiceError as exc:
        _fail(exc.message)
    print(issued.access_token)
    print(
        f"Token for @{args.member}, app {args.name!r}, scopes {issued.token.scopes}. "
        "Send it as 'Authorization: Bearer TOKEN'; revoke it under Settings > Apps.",
        file=sys.stderr,
    )


def cmd_norms_show(args: argparse.Namespace) -> None:
    settings = _settings(upgrade=True)
    found = _with_session(settings, lambda s: norms.current(s, settings))
    for item in norms.REGISTRY:
        value = item.show(found[item.name]).replace("\n", " | ")
        marker = "" if item.name in found.changed else "  (default)"
        print(f"{item.name:<24} {value}{marker}")
        print(f"{'':<24} {item.help}")


def cmd_norms_set(args: argparse.Namespace) -> None:
    settings = _settings(upgrade=True)
    value = args.value.replace("\\n", "\n")  # lines as "first\nsecond" on one command line
    try:
        stored = _with_session(
            settings,
            lambda s: norms.change(
                s, settings, args.name, value, reason=args.reason, actor_id=None, now=Clock().now()
            ),
        )
    except ServiceError as exc:
        _fail(exc.message)
    shown = norms.norm(args.name).show(stored).replace("\n", " | ")
    print(f"{args.name} is now {shown}.")


def cmd_norms_history(args: argparse.Namespace) -> None:
    settings = _settings()
    rows = _with_session(settings, norms.history)
    if not rows:
        print("No norm has been changed yet.")
    for row in rows:
        who = f"actor {row.actor_id}" if row.actor_id else "command line"
        print(
            f"{row.changed_at:%Y-%m-%d %H:%M} {row.name}: {row.old_value!r} -> {row.new_value!r}"
            f" ({who}){': ' + row.reason if row.reason else ''}"
        )


def cmd_ranking_rebuild(args: argparse.Namespace) -> None:
    """Derive every thread's conversation signals again from the posts."""
    settings = _settings()

    async def work(session: AsyncSession) -> tuple[int, int]:
        found = await norms.current(session, settings)
        return await signal_rebuild.rebuild(session, thread_sums.thresholds_from(found))

    started = time.monotonic()
    threads, replies = _with_session(settings, work)
    took = time.monotonic() - started
    print(f"Rebuilt the signals of {threads} threads from {replies} replies in {took:.1f} s.")


def cmd_domain_list(args: argparse.Namespace) -> None:
    rows = _with_session(_settings(), domains.with_policies)
    if not rows:
        print("No server is blocked or limited.")
    for row in rows:
        print(f"{row.domain:<40} {row.policy:<6} {row.reason}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="porch", description="Porch: slower, kinder social.")
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server (and jobs, without Redis)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers", type=int, default=1, help="web processes (each also sweeps due jobs)"
    )
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run an arq worker (needs Redis)")
    worker.add_argument("--check", action="store_true", help="exit 0 if a worker is alive")
    worker.set_defaults(func=cmd_worker)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    user = commands.add_parser("user", help="manage members").add_subparsers(
        dest="user_command", required=True
    )
    create = user.add_parser("create", help="create a member")
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument("--admin", action="store_true", help="make them an admin")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.set_defaults(func=cmd_user_create)
    user.add_parser("list", help="list members").set_defaults(func=cmd_user_list)
    cli_members.register(user)
    cli_roles.register(user)
    cli_mail.register(user)
    norm = commands.add_parser("norms", help="the community's norms").add_subparsers(
        dest="norms_command", required=True
    )
    norm.add_parser("show", help="every norm, its value and what it does").set_defaults(
        func=cmd_norms_show
    )
    setting = norm.add_parser("set", help="change a norm (recorded with the reason)")
    setting.add_argument("name")
    setting.add_argument("value", help=r"lines of a list norm are separated by \n")
    setting.add_argument("--reason", default="", help="one line: why")
    setting.set_defaults(func=cmd_norms_set)
    norm.add_parser("history", help="every change, newest first").set_defaults(
        func=cmd_norms_history
    )
    cli_experiments.register(norm)
    ranked = commands.add_parser("ranking", help="the Conversations timeline").add_subparsers(
        dest="ranking_command", required=True
    )
    ranked.add_parser(
        "rebuild", help="derive every thread's conversation signals again from the posts"
    ).set_defaults(func=cmd_ranking_rebuild)
    cli_counters.register(commands)
    cli_care.register(commands)
    cli_feeds.register(commands)
    token = commands.add_parser("token", help="tokens for scripts and bots").add_subparsers(
        dest="token_command", required=True
    )
    made = token.add_parser("create", help="print a new bearer token for a member")
    made.add_argument("name", help="what the token is for (shown in the member's apps)")
    made.add_argument("--member", required=True, help="whose account the token uses")
    made.add_argument(
        "--scopes", default="read write follow", help="space-separated (default: %(default)s)"
    )
    made.set_defaults(func=cmd_token_create)
    domain = commands.add_parser("domain", help="block or limit other servers").add_subparsers(
        dest="domain_command", required=True
    )
    for name, policy, about in [
        ("block", DomainPolicy.block, "refuse everything from a server and send it nothing"),
        ("limit", DomainPolicy.limit, "keep a server out of public timelines"),
        ("allow", DomainPolicy.none, "lift a block or limit"),
    ]:
        sub = domain.add_parser(name, help=about)
        sub.add_argument("domain")
        sub.add_argument("--reason", default="")
        sub.set_defaults(func=_set_domain(policy))
    domain.add_parser("list", help="list blocked and limited servers").set_defaults(
        func=cmd_domain_list
    )
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except Exception as exc:
        if not unavailable(exc):
            raise
        _fail(f"cannot reach the database ({exc}); is it running, and is PORCH_DATABASE_URL right?")


if __name__ == "__main__":
    main()
