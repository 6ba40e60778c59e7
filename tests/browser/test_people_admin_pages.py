"""Root Ana keeps the community's pages, at desk and phone width: nothing scrolls
sideways, the norms console reads one section at a time, and restoring the defaults asks
first."""

from __future__ import annotations

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

LONG_REASON = "Evenings got heated after the long-weekend thread about the allotment rules"


def test_the_public_and_admin_pages_fit_a_phone(new_context, porch) -> None:
    root, dana = porch.unique("root"), porch.unique("dana_with_a_rather_long_name")[:30]
    porch.make_admin(root)
    visitor = new_context().new_page()
    porch.sign_up(new_context().new_page(), dana)
    page = new_context().new_page()
    porch.log_in(page, root)
    page.goto("/admin/norms?section=conversations-ranking")
    form = page.locator("form#ranking\\.half_life_hours")
    form.get_by_label("Half-life").fill("30")
    form.get_by_label("Why").fill(LONG_REASON)
    form.get_by_role("button", name="Save half-life").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved “Half-life”")

    public = ("/about", "/about/ranking", "/signup")
    admin = (
        "/admin/members",
        "/admin/norms",
        "/admin/norms?section=conversations-ranking",
        "/admin/norms?section=reflective-cards",
        "/admin/norms/history",
        "/admin/norms/restore",
    )
    for viewport, size in WIDTHS.items():
        for who, paths in ((visitor, public), (page, admin)):
            who.set_viewport_size(size)
            for path in paths:
                who.goto(path)
                expect(who.get_by_role("heading", level=1)).to_be_in_viewport()
                name = "g" + path.replace("/", "-").replace("?section=", "-")
                shoot(who, name, viewport)
    page.goto("/admin/norms/history")
    expect(page.get_by_role("table")).to_contain_text(LONG_REASON)


def test_a_wrong_value_is_reported_first_and_restoring_asks_first(page: Page, porch) -> None:
    root = porch.unique("root")
    porch.make_admin(root)
    porch.log_in(page, root)
    page.set_viewport_size(WIDTHS["phone"])
    page.goto("/admin/norms?section=budgets")
    form = page.locator("form#budget\\.newcomer_days")
    form.get_by_label("Days as a newcomer").fill("-3")
    form.get_by_role("button", name="Save days as a newcomer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Days as a newcomer must be between")
    expect(alert).to_be_in_viewport()
    expect(page.get_by_label("Days as a newcomer")).to_be_focused()
    shoot(page, "g-admin-norms-error", "phone")

    page.get_by_role("link", name="Restore every default…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restore every default?")
    page.get_by_role("link", name="Keep the norms as they are").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Community norms")
