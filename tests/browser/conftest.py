"""Browser tests: a real `porch serve` on a free port, driven by Debian's Chromium.

The server runs as a subprocess on a fresh data directory with short pauses, once per
test session. Each test signs up its own people (with unique names), so tests do not
depend on each other's data.

Without /usr/bin/chromium or the playwright package the tests are skipped, except when
CI=true, where a missing browser is a failure: CI must really run them.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POST_PAUSE = 3
REPLY_PAUSE = 2
PASSWORD = "a calm porch evening"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path
    post_pause: int
    reply_pause: int


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"porch serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"porch serve did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def porch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real `porch serve` on a free port with a fresh SQLite data directory."""
    root = tmp_path_factory.mktemp("porch")
    data_dir = root / "data"
    log = root / "serve.log"
    port = _free_port()
    env = {
        **os.environ,
        "PORCH_DATA_DIR": str(data_dir),
        "PORCH_DOMAIN": f"localhost:{port}",
        "PORCH_PAUSE_POST_SECONDS": str(POST_PAUSE),
        "PORCH_PAUSE_REPLY_SECONDS": str(REPLY_PAUSE),
        "PORCH_PAUSE_MUTUAL_REPLY_SECONDS": str(REPLY_PAUSE),
        "PORCH_PAUSE_STRANGER_REPLY_SECONDS": str(REPLY_PAUSE),
        # Screenshots and stories write more than a newcomer's daily budget.
        "PORCH_POSTS_PER_DAY": "1000",
        "PORCH_NEWCOMER_POSTS_PER_DAY": "1000",
        # Stories of cards and nudges expect them shown (none is held back at random).
        "PORCH_HOLDOUT_CARDS_PERCENT": "0",
        "PORCH_HOLDOUT_NUDGES_PERCENT": "0",
        "PORCH_REGISTRATION_MODE": "open",
        "PORCH_LOGIN_ATTEMPTS_PER_5MIN": "1000",
        "PORCH_DATABASE_URL": "",
        "PORCH_REDIS_URL": "",
        "PORCH_SECRET_KEY": "",
        "PORCH_HTTPS": "false",
    }
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    command += ["--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
    url = f"http://localhost:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, data_dir, log, POST_PAUSE, REPLY_PAUSE)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, shared by the whole session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_context(browser: Browser, porch_server: Server) -> Iterator[Callable[..., BrowserContext]]:
    """Open a fresh browser context (one person's browser); JS errors and anything the
    Content-Security-Policy refuses fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_context(**options: object) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=porch_server.url, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        context.on(
            "console",
            lambda message: (
                errors.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh browser context."""
    return new_context().new_page()


_counter = itertools.count(1)


class Porch:
    """What the stories need: the server, and the steps people take again and again."""

    password = PASSWORD

    def __init__(self, server: Server) -> None:
        self.server = server
        self.url = server.url
        # The pause, plus the in-process sweep (1 s), plus the page's reload delay
        # (0.5 s), plus slack for a slow, shared machine: the page reloads until the
        # post is out, so a long wait costs nothing when it comes early.
        self.publish_timeout = max(server.post_pause, server.reply_pause) + 30.0

    @staticmethod
    def unique(name: str) -> str:
        """A username no other test in this session uses: unique("ana") -> "ana_3"."""
        return f"{name}_{next(_counter)}"

    def sign_up(self, page: Page, username: str) -> None:
        """Sign up through the form and land on the home timeline, signed in."""
        page.goto("/signup")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Email").fill(f"{username}@example.com")
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(self.url + "/")

    def write_post(self, page: Page, text: str) -> str:
        """Write a post from the composer; returns the pending post's path."""
        page.goto("/compose")
        page.get_by_label("Your post").fill(text)
        page.get_by_role("button", name="Post", exact=True).click()
        page.wait_for_url(re.compile(r"/@\w+/\d+$"))
        return page.url.removeprefix(self.url)

    def reply(self, page: Page, thread: str, text: str) -> None:
        """Answer the post at `thread` from its Reply button, and wait until the reply is
        out of its pause (the page reloads until it is)."""
        from playwright.sync_api import expect

        page.goto(thread)
        page.locator("article.post.focus").get_by_role("link", name="Reply", exact=True).click()
        box = page.get_by_label("Your reply")
        box.press("End")
        box.press_sequentially(text)
        page.get_by_role("button", name="Reply", exact=True).click()
        expect(page.locator("article.post.pending")).to_have_count(
            0, timeout=self.publish_timeout * 1000
        )

    def eventually(self, check: Callable[[], bool], *, every: float = 0.25) -> None:
        """Retry `check` (which may reload a page) until it holds or publication time is
        long past. For what no page updates by itself, such as another person's view."""
        deadline = time.monotonic() + self.publish_timeout
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"still not true after {self.publish_timeout} s")
            time.sleep(every)

    def make_admin(self, username: str) -> None:
        """Create an admin with the CLI, as an operator would."""
        env = {**os.environ, "PORCH_DATA_DIR": str(self.server.data_dir), "PORCH_DATABASE_URL": ""}
        made = subprocess.run(
            [sys.executable, "-m", "server.cli", "user", "create", username]
            + ["--email", f"{username}@example.com", "--admin", "--password-stdin"],
            input=self.password + "\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert made.returncode == 0, made.stderr

    def log_in(self, page: Page, username: str) -> None:
        page.goto("/login")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(self.url + "/")

    @staticmethod
    def status(page: Page, path: str) -> int:
        """Open `path` and return the HTTP status of the page (0 when Chromium answered
        with no response, as it can when a navigation is cut short: callers retry)."""
        response = page.goto(path)
        return response.status if response is not None else 0


@pytest.fixture
def porch(porch_server: Server) -> Porch:
    return Porch(porch_server)
