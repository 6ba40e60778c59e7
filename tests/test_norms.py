"""The community norms: set by admins, checked, recorded, and in force at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import ROOT
from server.services import norms
from tests.conftest import csrf_from, publish_due
from tests.test_admin import make_admin


async def set_norm(admin, name: str, value: str, reason: str = ""):  # type: ignore[no-untyped-def]
    token = await csrf_from(admin, "/admin/norms")
    return await admin.post(
        "/admin/norms", data={"name": name, "value": value, "reason": reason, "csrf_token": token}
    )


async def test_a_changed_pause_applies_to_the_very_next_post(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    answer = await set_norm(admin, "pause.post_seconds", "90", "Slower evenings")
    assert answer.status_code == 303
    post_id = await people["ana"].post("Tea at five?")
    assert await publish_due(app, clock, 31) == 0  # the old 30 s pause no longer holds
    assert await publish_due(app, clock, 60) == 1
    page = await admin.get("/admin/norms/history")
    assert "Pause before a post" in page.text
    assert "Slower evenings" in page.text
    assert "@root_ana" in page.text
    assert (await people["ben"].client.get(f"/@ana/{post_id}")).status_code == 200
    await admin.aclose()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("pause.post_seconds", "-5", "between 0 and 3600"),
        ("pause.reply_seconds", "soon", "whole number"),
        ("posts.max_chars", "0", "between 1 and 100000"),
        ("registrations.mode", "everyone", "one of: open, approval, closed"),
        ("rules.text", "  \n \n", "at least one line"),
    ],
)
async def test_invalid_norms_are_refused_and_the_old_value_kept(
    app, clock, name: str, value: str, message: str
) -> None:
    admin = await make_admin(app, clock)
    before = await admin.get("/admin/norms")
    answer = await set_norm(admin, name, value)
    assert answer.status_code == 422
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
        assert name not in found.changed
        assert await norms.history(session) == []
    assert before.status_code == 200
    await admin.aclose()


async def test_members_cannot_change_norms(app, people) -> None:
    ana = people["ana"]
    token = await csrf_from(ana.client, "/")
    answer = await ana.client.post(
        "/admin/norms", data={"name": "pause.post_seconds", "value": "0", "csrf_token": token}
    )
    assert answer.status_code == 403


async def test_the_about_page_and_nodeinfo_publish_the_norms(app, clock, visitor) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "rules.text", "Be gentle\nNo spam", "Shorter rules")
    await set_norm(admin, "pause.post_seconds", "120")
    about = await visitor.get("/about")
    assert re.search(r"<li>Be gentle</li>\s*<li>No spam</li>", about.text)
    assert "Every post waits 2 minutes" in about.text
    info = (await visitor.get("/nodeinfo/2.1")).json()["metadata"]["norms"]
    assert info["pausePostSeconds"] == 120
    assert info["rules"] == ["Be gentle", "No spam"]
    rules = (await visitor.get("/api/v1/instance/rules")).json()
    assert [r["text"] for r in rules][:2] == ["Be gentle", "No spam"]
    await admin.aclose()


async def test_restoring_defaults_is_recorded_too(app, clock) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "posts.max_chars", "280")
    token = await csrf_from(admin, "/admin/norms")
    answer = await admin.post(
        "/admin/norms/restore",
        data={"reason": "Start over", "confirm": "yes", "csrf_token": token},
    )
    assert answer.status_code == 303
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
        changes = await norms.history(session)
    assert found["posts.max_chars"] == app.state.settings.max_post_chars
    assert [(c.old_value, c.new_value, c.reason) for c in changes][0] == (280, 500, "Start over")
    await admin.aclose()


def test_every_norm_is_documented() -> None:
    """Each norm has help text, and docs/norms.md describes it by name."""
    documented = Path(ROOT / "docs" / "norms.md").read_text()
    for item in norms.REGISTRY:
        assert item.help.strip(), item.name
        assert f"`{item.name}`" in documented, f"{item.name} is missing from docs/norms.md"


async def test_the_daily_budget_is_shown_spent_and_refilled(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "budget.newcomer_posts_per_day", "2")
    ana, ben = people["ana"], people["ben"]
    assert "You can write 2 more posts today" in (await ana.client.get("/compose")).text
    first = await ana.post("One")
    await ana.post("Two")
    page = (await ana.client.get("/compose")).text
    # Said before she writes, with when it frees up, instead of a composer that refuses.
    assert "You have written today’s posts" in page
    assert "You can post again in 24 hours" in page
    assert 'name="text"' not in page
    token = await ana.token()
    refused = await ana.client.post("/posts", data={"text": "Three", "csrf_token": token})
    assert refused.status_code == 429
    assert "You can post again in 24 h 0 min" in refused.text
    assert "Three" in refused.text  # what she typed is still there
    # Replies never count against the budget.
    await publish_due(app, clock, 31)
    await ana.post("A reply is fine", reply_to=first)
    clock.advance(24 * 3600)
    assert "You can write 2 more posts today" in (await ana.client.get("/compose")).text
    assert await ben.post("Ben has his own budget") > 0
    await admin.aclose()


async def test_a_reply_waits_longer_for_a_stranger_and_less_among_mutuals(
    app, clock, people
) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "pause.stranger_reply_seconds", "90")
    await set_norm(admin, "pause.mutual_reply_seconds", "3")
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Anyone for tea?")
    await publish_due(app, clock, 31)
    answer = await ben.post("Me, please", reply_to=question)  # they have never met
    assert await publish_due(app, clock, 61) == 0
    assert await publish_due(app, clock, 30) == 1
    # Ben answered Ana: they are strangers no more, though neither follows the other.
    thanks = await ana.post("Lovely, two sugars?", reply_to=answer)
    assert await publish_due(app, clock, 21) == 1
    answer = await ben.post("Just one", reply_to=thanks)
    assert await publish_due(app, clock, 21) == 1
    await ana.follow("ben")
    await ben.follow("ana")
    # Mutuals in an exchange this week: dialogue flows.
    await ana.post("Come over at five", reply_to=answer)
    assert await publish_due(app, clock, 4) == 1
    await admin.aclose()


async def test_newcomers_see_the_rules_while_composing_their_first_posts(
    app, clock, people
) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "newcomers.rules_posts", "2")
    ana = people["ana"]
    first = (await ana.client.get("/compose")).text
    assert "Welcome: how we talk here" in first and "Be kind. Disagree with ideas" in first
    # Once is enough: the next composer, and her first posts, are not lectured again.
    assert "Welcome: how we talk here" not in (await ana.client.get("/compose")).text
    await ana.post("First")
    assert "Welcome: how we talk here" not in (await ana.client.get("/compose")).text
    # Ben writes his two posts elsewhere (an app) before opening the web composer.
    ben = people["ben"]
    for words in ("One", "Two"):
        data = {"text": words, "csrf_token": await ben.token("/")}
        assert (await ben.client.post("/posts", data=data)).status_code == 303
    assert "Welcome: how we talk here" not in (await ben.client.get("/compose")).text
    await set_norm(admin, "newcomers.rules_posts", "0")
    assert "Welcome: how we talk here" not in (await people["cleo"].client.get("/compose")).text
    await admin.aclose()


async def test_the_console_previews_each_card(app, clock) -> None:
    admin = await make_admin(app, clock)
    page = (await admin.get("/admin/norms?section=reflective-cards")).text
    assert "Preview, as a member replying to Sam sees it:" in page
    assert "You and Sam have not talked before." in page
    assert "This post is from 3 weeks ago." in page
    await admin.aclose()


async def test_like_counts_are_hidden_until_revealed_unless_the_norm_shows_them(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await ana.post("Fresh bread")
    await publish_due(app, clock, 31)
    token = await csrf_from(ben.client, f"/@ana/{post}")
    await ben.client.post(f"/posts/{post}/like", data={"csrf_token": token})
    page = (await ana.client.get(f"/@ana/{post}")).text
    assert '<details class="likes"><summary>Show likes</summary>1 like</details>' in page
    admin = await make_admin(app, clock)
    await set_norm(admin, "likes.counts", "shown")
    page = (await ana.client.get(f"/@ana/{post}")).text
    assert '<span class="count">1<span class="visually-hidden"> like</span></span>' in page
    assert "Show likes" not in page
    await admin.aclose()


async def test_members_land_on_the_timeline_the_community_chose(app, clock, people) -> None:
    ana = people["ana"]
    assert (await ana.client.get("/")).status_code == 200
    admin = await make_admin(app, clock)
    await set_norm(admin, "timeline.default", "local")
    landing = await ana.client.get("/")
    assert landing.status_code == 303
    assert landing.headers["location"] == "/local"
    home = await ana.client.get("/home")
    assert home.status_code == 200
    assert 'href="/home" aria-current="page">Home</a>' in home.text
    await admin.aclose()
