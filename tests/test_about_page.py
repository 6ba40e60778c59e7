"""/about tells a visitor who the community is, how to reach its admins, a few figures,
and every norm that shapes posting, in plain words; page titles name the community once."""

from __future__ import annotations

import html
import re

from tests.conftest import client_for
from tests.test_admin import make_admin
from tests.test_norms import set_norm


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return html.unescape(found.group(1)).strip()


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_a_visitor_reads_every_posting_norm_in_words(app, clock, visitor) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "pause.stranger_reply_seconds", "300", "Strangers wait longer")
    await set_norm(admin, "budget.newcomer_posts_per_day", "1")
    await set_norm(admin, "slowmode.interval_seconds", "600")
    await set_norm(admin, "interactions.quote", "nobody")
    await set_norm(admin, "about.description", "Neighbours on Elm Street, talking slowly.")
    await admin.aclose()
    page = _text((await visitor.get("/about")).text)
    assert "Neighbours on Elm Street, talking slowly." in page
    # Apps read the same words where they show a server's description.
    v1 = (await visitor.get("/api/v1/instance")).json()
    v2 = (await visitor.get("/api/v2/instance")).json()
    assert v2["description"] == v1["description"] == v1["short_description"]
    assert v2["description"] == "Neighbours on Elm Street, talking slowly."
    assert "Every post waits 30 seconds" in page
    assert "A first reply to someone you have never talked with waits 5 minutes" in page
    assert "In a thread that is running hot, a reply waits 90 seconds" in page
    assert re.search(r"Each member can write \d+ posts a day", page)
    assert "newcomers can write 1 a day" in page and "first 7 days" in page
    assert "each person can reply once every 10 minutes" in page
    assert "no quotes" in page and "anyone may reply" in page


async def test_a_community_named_porch_is_not_said_to_run_porch(app, visitor) -> None:
    page = (await visitor.get("/about")).text
    assert "Porch runs on Porch" not in _text(page) and "It runs Porch" not in page
    assert _title(page) == "About Porch"


async def test_contact_and_figures_are_on_the_about_page(app, settings, clock) -> None:
    app.state.settings = settings.model_copy(update={"contact_email": "admins@elm.example"})
    admin = await make_admin(app, clock, "root_ana")
    await admin.aclose()
    async with client_for(app) as visitor:
        page = (await visitor.get("/about")).text
    assert 'href="mailto:admins@elm.example"' in page
    assert 'href="/@root_ana"' in page
    assert re.search(r"<dt>Members</dt><dd>1</dd>", page)


async def test_page_titles_name_the_community_once(app, visitor) -> None:
    assert _title((await visitor.get("/about/ranking")).text) == "How Conversations ranks · Porch"
    assert _title((await visitor.get("/login")).text) == "Log in · Porch"


async def test_the_ranking_page_says_one_point_not_one_points(app, visitor) -> None:
    page = _text((await visitor.get("/about/ranking")).text)
    assert "1 points" not in page
    assert re.search(r"People you follow talking: 1(\.0)? point each", page)


async def test_restoring_one_norm_says_one_norm(app, clock) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "posts.max_chars", "280")
    page = await admin.get("/admin/norms")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = await admin.post(
        "/admin/norms/restore",
        data={"reason": "Start over", "confirm": "yes", "csrf_token": token.group(1)},
        follow_redirects=True,
    )
    assert "1 norm is back to its default." in html.unescape(done.text)
    saved = await set_norm(admin, "registrations.mode", "approval")
    assert saved.status_code == 303
    shown = html.unescape((await admin.get("/admin/norms")).text)
    assert "Saved “Sign-ups”; it applies from now on." in shown and "is changed" not in shown
    await admin.aclose()


def test_durations_are_said_in_words_with_the_right_plural() -> None:
    from server.web.about import duration

    assert duration(1) == "1 second"
    assert duration(90) == "90 seconds"
    assert duration(121) == "2 minutes 1 second"
    assert duration(600) == "10 minutes"
