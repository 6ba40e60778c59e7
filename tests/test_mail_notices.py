"""Mail that follows a decision about a member (a sign-up approved or not, a warning, a
suspension), and `porch user reset-password` for a Porch without mail, each followed
through to what the member receives."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlmodel import select
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import RegistrationMode, Settings, load_settings
from server.models import ActionKind, Actor
from server.services import moderation
from tests.conftest import client_for
from tests.mail_server import MailServer, body, link_in
from tests.test_admin import make_admin
from tests.test_auth import PASSWORD, log_in, sign_up
from tests.test_cli import porch
from tests.test_mail_accounts import follow, mail, mail_app, send_mail  # noqa: F401


async def confirmed(app: Starlette, mail: MailServer, name: str) -> None:  # noqa: F811
    """`name` signs up and follows the confirmation link."""
    async with client_for(app) as client:
        await sign_up(client, name)
        await send_mail(app)
        await follow(client, link_in(mail.inbox.last_to(f"{name}@example.com")))


async def test_dana_hears_her_sign_up_was_approved_and_eve_that_hers_was_not(
    mail_app: Starlette,  # noqa: F811
    mail: MailServer,  # noqa: F811
    settings: Settings,
    clock: FrozenClock,
) -> None:
    mail_app.state.settings = mail_app.state.settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    async with client_for(mail_app) as visitor:
        for name in ("dana", "eve"):
            await sign_up(visitor, name, reason="Neighbour from number 12")
    admin = await make_admin(mail_app, clock)
    for name, action in (("dana", "approve"), ("eve", "reject")):
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', (await admin.get("/admin/members")).text
        )
        assert token
        response = await admin.post(
            f"/admin/members/{name}/{action}",
            data={"csrf_token": token.group(1), "reason": "We are full this month."},
        )
        assert response.status_code == 303
    await admin.aclose()
    await send_mail(mail_app)

    approved = mail.inbox.last_to("dana@example.com")
    assert approved["Subject"] == "Your sign-up is approved"
    assert "http://localhost:8000/login" in body(approved)
    rejected = mail.inbox.last_to("eve@example.com")
    assert rejected["Subject"] == "Your sign-up was not approved"
    # Each also had the confirmation link at sign-up, and nothing more.
    assert len(mail.inbox.to("dana@example.com")) == 2
    assert len(mail.inbox.to("eve@example.com")) == 2
    async with client_for(mail_app) as dana:
        assert (await log_in(dana, "dana")).status_code == 303


async def test_ben_is_mailed_a_warning_and_his_suspension_but_an_unconfirmed_cleo_is_not(
    mail_app: Starlette,  # noqa: F811
    mail: MailServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    await confirmed(mail_app, mail, "ben")
    async with client_for(mail_app) as cleo:
        await sign_up(cleo, "cleo")  # never confirms
    await send_mail(mail_app)
    async with mail_app.state.sessions() as session:
        people = {a.username: a.id for a in (await session.exec(select(Actor))).all() if a.id}
        for name, kind, reason in (
            ("ben", ActionKind.warn, "Name-calling in a reply"),
            ("cleo", ActionKind.warn, "Name-calling too"),
            ("ben", ActionKind.suspend, "Kept on after the warning"),
        ):
            await moderation.act(
                session,
                mail_app.state.settings,
                moderator_id=None,
                target_id=people[name],
                kind=kind,
                reason=reason,
                now=clock.now(),
            )
    await send_mail(mail_app)

    to_ben = [m for m in mail.inbox.to("ben@example.com") if "moderators" in m["Subject"]]
    assert len(to_ben) == 2
    assert "Name-calling in a reply" in body(to_ben[0])
    assert "Kept on after the warning" in body(to_ben[1])
    assert "http://localhost:8000/settings/standing" in body(to_ben[1])
    assert len(mail.inbox.to("cleo@example.com")) == 1  # the confirmation only


async def test_without_mail_an_admin_prints_a_reset_link_that_ana_follows(
    tmp_path: Path, sqlite_template: Path, clock: FrozenClock
) -> None:
    shutil.copy(sqlite_template, tmp_path / "porch.db")
    created = porch(
        tmp_path,
        "user",
        "create",
        "ana",
        "--email",
        "ana@example.com",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    printed = porch(tmp_path, "user", "reset-password", "ana")
    assert printed.returncode == 0, printed.stderr
    assert "it works once, for 60 minutes" in printed.stdout
    found = re.search(r"^http://localhost:8000(/password/reset/\S+)$", printed.stdout, re.M)
    assert found, printed.stdout
    nobody = porch(tmp_path, "user", "reset-password", "nobody")
    assert nobody.returncode == 2 and "no member called nobody" in nobody.stderr

    settings = load_settings(data_dir=tmp_path, secret_key="test-secret-" + "x" * 40)
    app = create_app(settings, clock=clock, apply_migrations=False, run_jobs=False)
    async with app.router.lifespan_context(app), client_for(app) as ana:
        response = await follow(ana, found.group(1), password="a brand new password")
        assert response.status_code == 303
        assert (await ana.get(found.group(1))).status_code == 404
        async with client_for(app) as again:
            assert (await log_in(again, "ana", PASSWORD)).status_code == 422
            assert (await log_in(again, "ana", "a brand new password")).status_code == 303
