"""The README's first steps and the labels it names, checked against Porch itself."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from server import ROOT
from server.models import MemberRole
from server.services import accounts
from tests.conftest import client_for
from tests.test_auth import PASSWORD, log_in

README = (ROOT / "README.md").read_text()


def first_steps() -> str:
    start = README.index("## Try it on a fresh machine")
    return README[start : README.index("\n## ", start + 1)]


def commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_a_fresh_machine_needs_two_commands_and_the_first_admin_comes_right_after_serve() -> None:
    steps = first_steps()
    fresh = [c for c in commands(steps) if c.startswith("python3 -m venv")]
    assert len(fresh) == 2, fresh
    serve, tests = fresh
    assert serve.endswith(".venv/bin/porch serve") and tests.endswith(".venv/bin/pytest")
    admin = ".venv/bin/porch user create ana --email ana@example.com --admin"
    order = [
        steps.index(serve),
        steps.index(admin),
        steps.index("http://localhost:8000/login"),
        steps.index("`.venv/bin/porch serve`"),  # starting again later
        steps.index(tests),
    ]
    assert order == sorted(order), "serve, the first admin, log in, start again, then tests"
    assert "porch user reset-password NAME" in steps  # without mail, the way back in


def links(html: str) -> dict[str, str]:
    """Each link's visible words (tags and counts dropped) and where it goes."""
    found = {}
    for href, inner in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        words = re.sub(r"<[^>]+>.*?</[^>]+>|<[^>]+>", "", inner).strip()
        found.setdefault(words, href)
    return found


async def reach(client: httpx.AsyncClient, home: str, first: str, then: str) -> int:
    """Follow "first > then" from the home page: `first` is a link to a page holding a
    link `then`, or the label of a navigation holding it. Returns the last page's status."""
    if first in links(home):
        page = (await client.get(links(home)[first])).text
        assert then in links(page), f"no {then!r} on {first!r}"
        return (await client.get(links(page)[then])).status_code
    for nav in re.findall(r"<nav[^>]*>(.*?)</nav>", home, re.S):
        if re.search(rf">\s*{re.escape(first)}:?\s*<", nav) and then in links(nav):
            return (await client.get(links(nav)[then])).status_code
    raise AssertionError(f"nothing called {first!r} leads to {then!r}")


async def test_every_label_the_readme_names_is_in_the_ui(app: Starlette) -> None:
    async with app.state.sessions() as session:
        await accounts.create_member(
            session,
            username="ana",
            email="ana@example.com",
            password=PASSWORD,
            role=MemberRole.admin,
            confirmed=True,
            now=app.state.clock.now(),
        )
    labels = re.findall(r"\*\*([^*>]+) > ([^*]+)\*\*", README)
    assert ("Settings", "Apps") in labels and ("Settings", "Email") in labels
    async with client_for(app) as ana:
        assert (await log_in(ana, "ana")).status_code == 303
        home = (await ana.get("/")).text
        for first, then in labels:
            assert await reach(ana, home, first, then) == 200, f"{first} > {then}"
        single = re.findall(r"\*\*([A-Z][^*>]+)\*\* in the page footer", README)
        assert single and all(name in links(home) for name in single)
