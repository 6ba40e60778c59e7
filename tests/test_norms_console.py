"""Root Ana runs the norms console: one section at a time under a table of contents, a
refused value reported first with its field focused, and every default restored only
after she confirms."""

from __future__ import annotations

import re

from server.services import norms
from tests.conftest import csrf_from
from tests.test_admin import make_admin
from tests.test_norms import set_norm


def _forms(page: str) -> list[str]:
    return re.findall(
        r'<form method="post" action="/admin/norms" class="stack norm" id="([^"]+)"', page
    )


async def test_the_console_opens_on_one_section_with_every_section_listed(app, clock) -> None:
    admin = await make_admin(app, clock)
    page = (await admin.get("/admin/norms")).text
    assert _forms(page) == [n.name for n in norms.REGISTRY if n.group == "Pauses"]
    for group in ("Pauses", "Budgets", "Slow mode", "Conversations ranking", "Pile-on shield"):
        assert f">{group}</a>" in page, group
    assert 'href="/admin/norms?section=budgets"' in page
    budgets = (await admin.get("/admin/norms?section=budgets")).text
    assert _forms(budgets) == [
        "budget.posts_per_day",
        "budget.newcomer_posts_per_day",
        "budget.newcomer_days",
    ]
    assert 'href="/admin/norms?section=budgets" aria-current="page"' in budgets
    unknown = (await admin.get("/admin/norms?section=nowhere")).text
    assert _forms(unknown) == _forms(page)
    await admin.aclose()


async def test_a_saved_norm_returns_to_its_own_section(app, clock) -> None:
    admin = await make_admin(app, clock)
    saved = await set_norm(admin, "slowmode.interval_seconds", "300", "Calmer")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/norms?section=slow-mode#slowmode.interval_seconds"
    page = (await admin.get("/admin/norms")).text
    assert re.search(r">Slow mode</a> <span class=\"hint\">3, 1 changed</span>", page)
    await admin.aclose()


async def test_an_invalid_value_is_reported_first_with_focus_on_its_field(app, clock) -> None:
    admin = await make_admin(app, clock)
    answer = await set_norm(admin, "budget.newcomer_days", "-3")
    assert answer.status_code == 422
    page = answer.text
    alert = page.index('role="alert"')
    assert alert < page.index("<form")
    assert '<a href="#value-budget.newcomer_days">Days as a newcomer must be between' in page
    field = re.search(r'<input id="value-budget.newcomer_days"[^>]*>', page)
    assert field and "autofocus" in field.group(0) and 'aria-invalid="true"' in field.group(0)
    assert 'value="-3"' in field.group(0)  # what she typed, to correct
    assert page.count("autofocus") == 1
    # The refused norm right under the message, then the rest of its own section.
    assert _forms(page) == [
        "budget.newcomer_days",
        "budget.posts_per_day",
        "budget.newcomer_posts_per_day",
    ]
    await admin.aclose()


async def test_restoring_every_default_asks_first_and_lists_what_changes(app, clock) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "posts.max_chars", "280")
    await set_norm(admin, "pause.post_seconds", "90")
    token = await csrf_from(admin, "/admin/norms")
    unconfirmed = await admin.post(
        "/admin/norms/restore", data={"reason": "Start over", "csrf_token": token}
    )
    assert unconfirmed.status_code == 200
    assert "Restore every default?" in unconfirmed.text
    assert "<strong>Longest post</strong>: 280 → 500" in unconfirmed.text
    assert 'name="confirm" value="yes"' in unconfirmed.text
    assert 'value="Start over"' in unconfirmed.text
    async with app.state.sessions() as session:
        assert (await norms.current(session, app.state.settings))["posts.max_chars"] == 280
    confirm_page = await admin.get("/admin/norms/restore")
    assert "These 2 norms go back to their defaults" in confirm_page.text
    done = await admin.post(
        "/admin/norms/restore",
        data={"reason": "Start over", "confirm": "yes", "csrf_token": token},
    )
    assert done.status_code == 303
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    assert found["posts.max_chars"] == app.state.settings.max_post_chars
    nothing = await admin.get("/admin/norms/restore")
    assert "there is nothing to restore" in nothing.text
    await admin.aclose()


async def test_members_cannot_open_the_console_or_restore(app, people) -> None:
    ana = people["ana"]
    assert (await ana.client.get("/admin/norms?section=budgets")).status_code == 403
    assert (await ana.client.get("/admin/norms/restore")).status_code == 403
