"""Ana confirms her address and, having forgotten her password, sets a new one: in
Chromium, without JavaScript, at 1280 and 390 px, with mail sent by a real `porch serve`
through a real SMTP server (aiosmtpd) and the links taken from the mail she receives."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD, Server, _free_port, _wait_until_up
from tests.browser.test_screenshots import WIDTHS, shoot
from tests.mail_server import MailServer, link_in

try:
    from playwright.sync_api import Browser, BrowserContext, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Browser = BrowserContext = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a new calm porch evening"


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mailing_porch(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[Server]:
    """A `porch serve` of its own that mails through the test's SMTP server."""
    root = tmp_path_factory.mktemp("porch-mail")
    port = _free_port()
    env = {
        **os.environ,
        "PORCH_DATA_DIR": str(root / "data"),
        "PORCH_DOMAIN": f"localhost:{port}",
        "PORCH_DATABASE_URL": "",
        "PORCH_REDIS_URL": "",
        "PORCH_SECRET_KEY": "",
        "PORCH_HTTPS": "false",
        "PORCH_LOGIN_ATTEMPTS_PER_5MIN": "1000",
        "PORCH_SMTP_HOST": "127.0.0.1",
        "PORCH_SMTP_PORT": str(mail.port),
        "PORCH_SMTP_TLS": "none",
    }
    log = root / "serve.log"
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
    url = f"http://localhost:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, root / "data", log, 30, 20)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browse(browser: Browser, mailing_porch: Server) -> Iterator[Callable[[], BrowserContext]]:
    """A fresh browser without JavaScript, on the mailing Porch."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(
            base_url=mailing_porch.url, viewport=WIDTHS["desktop"], java_script_enabled=False
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def mail_to(mail: MailServer, address: str, subject: str) -> EmailMessage:
    """The mail once the server's mail sweep has sent it (it runs in `porch serve`)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [m for m in mail.inbox.to(address) if m["Subject"] == subject]
        if found:
            return found[-1]
        time.sleep(0.1)
    pytest.fail(f"no {subject!r} mail to {address}")


def test_ana_confirms_her_address_and_sets_a_new_password_from_the_mail(
    browse: Callable[[], BrowserContext], mail: MailServer, mailing_porch: Server
) -> None:
    ana = "ana_mail"
    laptop = browse().new_page()
    laptop.goto("/signup")
    laptop.get_by_label("Username").fill(ana)
    laptop.get_by_label("Email").fill(f"{ana}@example.com")
    laptop.get_by_label("Password").fill(PASSWORD)
    laptop.get_by_role("button", name="Sign up").click()
    expect(laptop.get_by_role("status")).to_contain_text(f"We sent a link to {ana}@example.com")

    confirm = link_in(mail_to(mail, f"{ana}@example.com", "Confirm your email address"))
    for viewport, size in WIDTHS.items():
        laptop.set_viewport_size(size)
        laptop.goto(confirm)
        button = laptop.get_by_role("button", name=f"Confirm {ana}@example.com")
        expect(button).to_be_in_viewport()
        shoot(laptop, "email-confirm", viewport)
    button.click()
    expect(laptop.get_by_role("status")).to_contain_text("is confirmed")
    for viewport, size in WIDTHS.items():
        laptop.set_viewport_size(size)
        laptop.goto("/settings/email")
        expect(laptop.get_by_label("New email address")).to_be_visible()
        shoot(laptop, "settings-email", viewport)
    expect(laptop.locator("footer nav").get_by_role("link", name="Settings")).to_be_visible()

    # Later, in a library, Ana has forgotten her password.
    library = browse().new_page()
    for viewport, size in WIDTHS.items():
        library.set_viewport_size(size)
        library.goto("/login")
        library.get_by_role("link", name="Forgot your password?").click()
        expect(library.get_by_label("Username or email")).to_be_in_viewport()
        shoot(library, "password-forgot", viewport)
    library.get_by_label("Username or email").fill(ana)
    library.get_by_role("button", name="Mail me a link").click()
    expect(library.get_by_role("status")).to_contain_text("on its way")

    reset = link_in(mail_to(mail, f"{ana}@example.com", "Set a new password"))
    for viewport, size in WIDTHS.items():
        library.set_viewport_size(size)
        library.goto(reset)
        expect(library.get_by_label("New password")).to_be_in_viewport()
        shoot(library, "password-reset", viewport)
    library.get_by_label("New password").fill(NEW_PASSWORD)
    library.get_by_role("button", name="Set new password").click()
    expect(library.get_by_role("status")).to_contain_text("logged out everywhere else")

    # The laptop was logged out; the link is used up.
    laptop.goto("/settings/email")
    expect(laptop.get_by_label("Username or email")).to_be_visible()
    for viewport, size in WIDTHS.items():
        library.set_viewport_size(size)
        library.goto(reset)
        expect(library.get_by_role("alert")).to_contain_text("expired or was used")
        shoot(library, "password-reset-used", viewport)
