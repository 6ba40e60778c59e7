"""Ana signed up and mistyped her address; her app asks for the link again, to the right
address, and learns when she has confirmed it. Mail goes through a real SMTP server."""

from __future__ import annotations

from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.conftest import client_for
from tests.mail_server import MailServer, link_in
from tests.test_auth import sign_up
from tests.test_exactly_once import bearer
from tests.test_mail_accounts import follow, mail, mail_app, member, send_mail  # noqa: F401

AWAITING_ONLY = "This method is only available while the e-mail is awaiting confirmation"


async def test_an_app_sends_the_link_again_to_a_corrected_address_until_it_is_confirmed(
    mail_app: Starlette,  # noqa: F811
    mail: MailServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    async with client_for(mail_app) as web:
        assert (await sign_up(web, "ana", email="ana@exmaple.com")).status_code == 303
        await send_mail(mail_app)
        assert len(mail.inbox.to("ana@exmaple.com")) == 1
        async with await bearer(mail_app, "ana", clock) as app:
            assert (await app.get("/api/v1/emails/check_confirmation")).json() is False

            again = await app.post("/api/v1/emails/confirmations")
            assert (again.status_code, again.json()) == (200, {})
            fixed = await app.post(
                "/api/v1/emails/confirmations", data={"email": " Ana@Example.com "}
            )
            assert fixed.status_code == 200, fixed.text
            await send_mail(mail_app)
            assert len(mail.inbox.to("ana@exmaple.com")) == 2
            [message] = mail.inbox.to("ana@example.com")
            assert (await member(mail_app, "ana@example.com")).email_confirmed_at is None

            assert (await follow(web, link_in(message))).status_code == 303
            assert (await app.get("/api/v1/emails/check_confirmation")).json() is True
            done = await app.post("/api/v1/emails/confirmations")
            assert (done.status_code, done.json()) == (403, {"error": AWAITING_ONLY})


async def test_an_address_someone_else_uses_or_a_wrong_one_is_refused_and_nothing_changes(
    mail_app: Starlette,  # noqa: F811
    mail: MailServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    async with client_for(mail_app) as web, client_for(mail_app) as other:
        await sign_up(web, "ana", email="ana@exmaple.com")
        await sign_up(other, "ben", email="ben@example.com")
        async with await bearer(mail_app, "ana", clock) as app:
            taken = await app.post(
                "/api/v1/emails/confirmations", data={"email": "ben@example.com"}
            )
            assert taken.status_code == 409
            assert "exists already" in taken.json()["error"]
            wrong = await app.post("/api/v1/emails/confirmations", data={"email": "not an address"})
            assert wrong.status_code == 422, wrong.text
    assert (await member(mail_app, "ana@exmaple.com")).email == "ana@exmaple.com"
