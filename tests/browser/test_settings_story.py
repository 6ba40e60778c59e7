"""Ana finds every setting in one place, at desk and phone width: her preferences, the
people she muted, her data; her profile shows her header, fields and counts; and root
Cleo confirms a suspension with a reason that Ben reads when he tries to log in."""

from __future__ import annotations

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser


def test_ana_keeps_her_settings_in_one_place(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    page = new_context().new_page()
    porch.sign_up(new_context().new_page(), ben)
    porch.sign_up(page, ana)

    page.get_by_role("contentinfo").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    page.get_by_role("main").get_by_role("link", name="Preferences").click()
    page.get_by_label("Followers only").check()
    page.get_by_label("I write in").select_option("pt")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Your preferences are saved.")
    page.goto("/compose")
    expect(page.locator('select[name="visibility"]')).to_have_value("followers")

    page.goto("/settings/profile")
    page.get_by_label("Label 1").fill("Pronouns")
    page.get_by_label("Content 1").fill("she/her")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("main").get_by_text("she/her")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("0 posts")).to_be_visible()

    page.goto("/settings/muted")
    expect(page.get_by_text("You mute nobody.")).to_be_visible()

    for viewport, size in WIDTHS.items():
        page.set_viewport_size(size)
        for path in (
            "/settings",
            "/settings/preferences",
            "/settings/profile",
            "/settings/muted",
            "/settings/blocked",
            "/settings/export",
            f"/@{ana}",
        ):
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
            shoot(page, "g" + path.replace("/", "-").replace("@", "at-"), viewport)

    page.goto("/settings/export")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert download.value.suggested_filename.startswith(f"porch-{ana}-")


def test_a_suspension_is_confirmed_and_its_reason_reaches_ben(new_context, porch) -> None:
    cleo, ben = porch.unique("root"), porch.unique("ben")
    porch.make_admin(cleo)
    ben_page = new_context().new_page()
    porch.sign_up(ben_page, ben)
    admin = new_context(java_script_enabled=False).new_page()
    porch.log_in(admin, cleo)
    admin.set_viewport_size(WIDTHS["phone"])
    admin.goto("/admin/members")
    admin.get_by_role("row", name=f"@{ben}").get_by_role("link", name="Suspend…").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Suspend @{ben}?")
    shoot(admin, "g-admin-decision", "phone")
    admin.get_by_label("Reason").fill("Insults in three threads this week")
    admin.get_by_role("button", name=f"Suspend @{ben}").click()
    expect(admin.get_by_role("status")).to_contain_text(f"@{ben} is suspended.")

    fresh = new_context().new_page()
    fresh.goto("/login")
    fresh.get_by_label("Username or email").fill(ben)
    fresh.get_by_label("Password").fill(porch.password)
    fresh.get_by_role("button", name="Log in").click()
    expect(fresh.get_by_text("Insults in three threads this week")).to_be_visible()
    expect(fresh.get_by_role("button", name="Send the appeal")).to_be_visible()
