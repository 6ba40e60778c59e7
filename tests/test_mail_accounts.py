"""Accounts by email, sent through a real SMTP server (aiosmtpd) and followed with the
real app: confirming an address, a forgotten password, a new address, a mail server
that is away, and Porch without any mail server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.models import Member, OutgoingMail
from server.services import mail_outbox
from tests.conftest import client_for, csrf_from
from tests.mail_server import MailServer, body, link_in, running
from tests.test_auth import PASSWORD, log_in, sign_up

NEW_PASSWORD = "a longer and newer password"


@pytest.fixture
def mail() -> Iterator[MailServer]:
    yield from running()


@pytest.fixture
async def mail_app(
    settings: Settings, clock: FrozenClock, mail: MailServer
) -> AsyncIterator[Starlette]:
    """Porch set to send its mail through the test's SMTP server."""
    with_mail = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": mail.port, "smtp_tls": "none"}
    )
    application = create_app(with_mail, clock=clock, apply_migrations=False, run_jobs=False)
    async with application.router.lifespan_context(application):
        yield application


async def send_mail(app: Starlette) -> None:
    """Run the due jobs, the mail sweep among them, as the worker would."""
    await app.state.jobs.run_due()


async def follow(client: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    """Open a mailed link and press its button, as a person does."""
    token = await csrf_from(client, path)
    return await client.post(path, data={**form, "csrf_token": token})


async def queued(app: Starlette) -> int:
    async with app.state.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(OutgoingMail))).one())


async def member(app: Starlette, email_or_name: str) -> Member:
    async with app.state.sessions() as session:
        rows = await session.exec(select(Member))
        for row in rows.all():
            if row.email == email_or_name:
                return row
    raise AssertionError(email_or_name)


async def test_ana_confirms_her_address_by_following_the_mailed_link(
    mail_app: Starlette, mail: MailServer
) -> None:
    async with client_for(mail_app) as ana:
        response = await sign_up(ana, "ana")
        assert response.status_code == 303
        home = await ana.get("/")
        assert "We sent a link to ana@example.com" in home.text
        await send_mail(mail_app)
        message = mail.inbox.last_to("ana@example.com")
        assert message["Subject"] == "Confirm your email address"
        assert message["From"] == "Porch <porch@localhost>"
        assert (await member(mail_app, "ana@example.com")).email_confirmed_at is None
        # Until then the settings say so and offer the link again.
        page = await ana.get("/settings/email")
        assert "not confirmed yet" in page.text and "Send the link again" in page.text

        # Asking again retires the first link.
        token = await csrf_from(ana, "/settings/email")
        resent = await ana.post("/settings/email/resend", data={"csrf_token": token})
        assert resent.status_code == 303
        await send_mail(mail_app)
        assert len(mail.inbox.to("ana@example.com")) == 2
        assert (await ana.get(link_in(message))).status_code == 404
        message = mail.inbox.last_to("ana@example.com")

        path = link_in(message)
        looked = await ana.get(path)  # a mail scanner's look uses nothing up
        assert "Confirm ana@example.com" in looked.text
        response = await follow(ana, path)
        assert response.status_code == 303
        assert (await member(mail_app, "ana@example.com")).email_confirmed_at is not None
        page = await ana.get("/settings/email")
        assert "confirmed" in page.text and "not confirmed" not in page.text

        again = await ana.get(path)
        assert again.status_code == 404 and "expired or was used" in again.text


async def test_ana_sets_a_new_password_from_the_login_page_and_is_logged_out_elsewhere(
    mail_app: Starlette, mail: MailServer, clock: FrozenClock
) -> None:
    async with client_for(mail_app) as phone, client_for(mail_app) as laptop:
        await sign_up(phone, "ana")
        await send_mail(mail_app)
        await follow(phone, link_in(mail.inbox.last_to("ana@example.com")))
        assert (await log_in(laptop, "ana")).status_code == 303

        async with client_for(mail_app) as library:
            login = await library.get("/login")
            assert 'href="/password/forgot"' in login.text and "Forgot your password?" in login.text
            response = await follow(library, "/password/forgot", login="ana")
            assert response.status_code == 303
            told = await library.get(response.headers["location"])
            assert "a link to set a new password is on its way" in told.text
            await send_mail(mail_app)
            message = mail.inbox.last_to("ana@example.com")
            assert message["Subject"] == "Set a new password"
            path = link_in(message)

            clock.advance(30 * 60)  # half an hour later: still good
            form = await library.get(path)
            assert "For @ana." in form.text
            short = await follow(library, path, password="short")
            assert short.status_code == 422 and "at least 8 characters" in short.text
            response = await follow(library, path, password=NEW_PASSWORD, revoke_apps="yes")
            assert response.status_code == 303
            assert "@ana" in (await library.get("/settings/email")).text  # signed in here

            used = await library.get(path)
            assert used.status_code == 404

        # Every other browser was logged out.
        for client in (phone, laptop):
            assert (await client.get("/settings/email")).status_code in (302, 303, 401)
        assert (await log_in(phone, "ana")).status_code == 422
        assert (await log_in(phone, "ana", NEW_PASSWORD)).status_code == 303


async def test_a_reset_link_works_for_an_hour_and_asking_again_retires_it(
    mail_app: Starlette, mail: MailServer, clock: FrozenClock
) -> None:
    async with client_for(mail_app) as ana, client_for(mail_app) as visitor:
        await sign_up(ana, "ana")
        await send_mail(mail_app)
        await follow(ana, link_in(mail.inbox.last_to("ana@example.com")))

        await follow(visitor, "/password/forgot", login="ana@example.com")
        await send_mail(mail_app)
        first = link_in(mail.inbox.last_to("ana@example.com"))
        await follow(visitor, "/password/forgot", login="ana")
        await send_mail(mail_app)
        second = link_in(mail.inbox.last_to("ana@example.com"))
        assert first != second
        assert (await visitor.get(first)).status_code == 404
        assert (await visitor.get(second)).status_code == 200

        clock.advance(61 * 60)
        late = await visitor.get(second)
        assert late.status_code == 404 and "Ask for a new one" in late.text


async def test_an_unconfirmed_address_gets_no_reset_link_and_the_answer_tells_nobody(
    mail_app: Starlette, mail: MailServer
) -> None:
    async with client_for(mail_app) as ben, client_for(mail_app) as visitor:
        await sign_up(ben, "ben")
        await send_mail(mail_app)
        assert len(mail.inbox.to("ben@example.com")) == 1  # the confirmation only

        answers = []
        for login in ("ben", "nobody-here"):
            response = await follow(visitor, "/password/forgot", login=login)
            answers.append((await visitor.get(response.headers["location"])).text)
        assert "on its way" in answers[0] and "on its way" in answers[1]
        await send_mail(mail_app)
        assert len(mail.inbox.to("ben@example.com")) == 1
        assert [m["Subject"] for m in mail.inbox.messages] == ["Confirm your email address"]

        # Signing in, Ben is told to confirm.
        async with client_for(mail_app) as again:
            response = await log_in(again, "ben")
            page = await again.get(response.headers["location"])
            assert "Please confirm your email address" in page.text


async def test_ana_moves_to_a_new_address_only_once_she_follows_its_link(
    mail_app: Starlette, mail: MailServer
) -> None:
    async with client_for(mail_app) as ana:
        await sign_up(ana, "ana")
        await send_mail(mail_app)
        await follow(ana, link_in(mail.inbox.last_to("ana@example.com")))

        wrong = await follow(
            ana, "/settings/email", email="ana@new.example", current_password="not it"
        )
        assert wrong.status_code == 422 and "current password is not right" in wrong.text
        response = await follow(
            ana, "/settings/email", email="Ana@New.Example", current_password=PASSWORD
        )
        assert response.status_code == 303
        await send_mail(mail_app)
        warned = mail.inbox.last_to("ana@example.com")
        assert warned["Subject"] == "Your email address is being changed"
        assert "ana@new.example" in body(warned)
        assert (await member(mail_app, "ana@example.com")).email == "ana@example.com"

        path = link_in(mail.inbox.last_to("ana@new.example"))
        await follow(ana, path)
        moved = await member(mail_app, "ana@new.example")
        assert moved.email_confirmed_at is not None
        assert "ana@new.example" in (await ana.get("/settings/email")).text


async def test_a_mail_server_that_is_away_delays_the_mail_and_loses_nothing(
    mail_app: Starlette, mail: MailServer, clock: FrozenClock
) -> None:
    mail.stop()
    async with client_for(mail_app) as ana:
        response = await sign_up(ana, "ana")
        assert response.status_code == 303  # the sign-up does not wait on mail
        await send_mail(mail_app)
        async with mail_app.state.sessions() as session:
            waiting = (await session.exec(select(OutgoingMail))).one()
        assert waiting.attempts == 1 and waiting.last_error
        assert waiting.next_attempt_at > clock.now()

        mail.start()
        await send_mail(mail_app)
        assert mail.inbox.messages == []  # not yet due again
        clock.advance(61)
        await send_mail(mail_app)
        assert mail.inbox.last_to("ana@example.com")["Subject"] == "Confirm your email address"
        assert await queued(mail_app) == 0  # a sent mail's link is not kept


async def test_a_mail_that_keeps_failing_is_given_up_after_its_last_try(
    mail_app: Starlette, mail: MailServer, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    mail.stop()
    async with client_for(mail_app) as ana:
        await sign_up(ana, "ana")
    for _ in range(mail_outbox.MAX_ATTEMPTS):
        await send_mail(mail_app)
        clock.advance(2 * 24 * 3600)
    assert await queued(mail_app) == 0
    assert "giving up" in caplog.text
    # The account itself is there and can log in.
    async with client_for(mail_app) as again:
        assert (await log_in(again, "ana")).status_code == 303


async def test_porch_without_a_mail_server_sends_nothing_and_takes_addresses_as_given(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    await sign_up(visitor, "ana")
    ana = await member(app, "ana@example.com")
    assert ana.email_confirmed_at is not None
    assert await queued(app) == 0
    page = await visitor.get("/settings/email")
    assert "does not send mail" in page.text
    forgot = await visitor.get("/password/forgot")
    assert "Ask an admin" in forgot.text and "<form" not in forgot.text.split("<main")[1]


async def test_an_unconfirmed_member_posts_only_once_the_address_is_confirmed(
    mail_app: Starlette, mail: MailServer, clock: FrozenClock
) -> None:
    from server.models import Post
    from tests.test_exactly_once import bearer

    async with client_for(mail_app) as ana:
        await sign_up(ana, "ana")
        compose = await ana.get("/compose")
        assert "Confirm your email address first" in compose.text
        token = await csrf_from(ana, "/settings/email")
        refused = await ana.post(
            "/posts", data={"text": "Hello, porch!", "visibility": "public", "csrf_token": token}
        )
        assert refused.status_code == 403
        assert "Confirm your email address before you post" in refused.text
        async with await bearer(mail_app, "ana", clock) as app:
            answer = await app.post("/api/v1/statuses", data={"status": "Hello from my phone"})
            assert answer.status_code == 403
            assert "Confirm your email address" in answer.json()["error"]
            async with mail_app.state.sessions() as session:
                assert (await session.exec(select(func.count()).select_from(Post))).one() == 0

            await send_mail(mail_app)
            assert (await follow(ana, link_in(mail.inbox.last_to("ana@example.com")))).is_redirect
            assert "Confirm your email address first" not in (await ana.get("/compose")).text
            posted = await app.post("/api/v1/statuses", data={"status": "Hello from my phone"})
            assert posted.status_code == 200, posted.text
