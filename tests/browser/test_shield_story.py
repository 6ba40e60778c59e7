"""A surge of strangers answers Ana: her thread's pile-on shield goes up, Dan arriving to
reply is told his reply will wait, and Ana turns the shield off again."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser


def _set_strangers(page: Page, value: str) -> None:
    page.goto("/admin/norms?section=pile-on-shield")
    form = page.locator("form#shield\\.strangers")
    form.get_by_label("People who trip the shield").fill(value)
    form.get_by_role("button", name="Save people who trip the shield").click()
    expect(page.get_by_role("status").first).to_contain_text("People who trip the shield")


def test_a_surge_raises_anas_shield_and_she_turns_it_off(new_context, porch) -> None:
    admin = porch.unique("root")
    porch.make_admin(admin)
    admin_page = new_context().new_page()
    porch.log_in(admin_page, admin)
    _set_strangers(admin_page, "2")
    try:
        ana, ben, cleo, dan = (porch.unique(n) for n in ("ana", "ben", "cleo", "dan"))
        # Ana turns the shield off without JavaScript: the switch is a plain form.
        ana_page = new_context(java_script_enabled=False).new_page()
        ben_page, cleo_page, dan_page = (new_context().new_page() for _ in range(3))
        for page, name in ((ana_page, ana), (ben_page, ben), (cleo_page, cleo), (dan_page, dan)):
            porch.sign_up(page, name)
        thread = porch.write_post(ana_page, "Is it fine to put pineapple on pizza?")
        porch.eventually(lambda: porch.status(ben_page, thread) == 200)
        porch.reply(ben_page, thread, "Absolutely not, and you should know better.")
        porch.reply(cleo_page, thread, "This is the worst take I have read all week.")

        card = f"{ana} is receiving many replies right now; yours will wait for their approval."
        for viewport, size in WIDTHS.items():
            ana_page.set_viewport_size(size)
            ana_page.goto(thread)
            banner = ana_page.get_by_role("status").filter(has_text="Your pile-on shield is up")
            expect(banner).to_contain_text("2 people you don’t know replied in this thread")
            switch = ana_page.get_by_role("button", name="Turn the shield off")
            expect(switch).to_be_in_viewport()
            shoot(ana_page, "thread-shield-author", viewport)

            dan_page.set_viewport_size(size)
            dan_page.goto(thread)
            expect(dan_page.get_by_text(card)).to_be_in_viewport()
            expect(dan_page.get_by_role("button", name="Turn the shield off")).to_have_count(0)
            shoot(dan_page, "thread-shield-card", viewport)
            dan_page.locator("article.post.focus").get_by_role(
                "link", name="Reply", exact=True
            ).click()
            # The reply page scrolls to the reply box: the card is just above it.
            expect(dan_page.get_by_text(card)).to_be_in_viewport()
            shoot(dan_page, "compose-shield-card", viewport)

        ana_page.goto("/notifications")
        expect(ana_page.get_by_text("Your pile-on shield")).to_be_visible()
        expect(ana_page.get_by_text(re.compile("2 people you don’t know replied"))).to_be_visible()

        ana_page.goto(thread)
        ana_page.get_by_role("button", name="Turn the shield off").click()
        expect(ana_page.get_by_role("status").first).to_contain_text("The shield is off")
        expect(ana_page.get_by_text("Your pile-on shield is up")).to_have_count(0)
        dan_page.goto(thread)
        expect(dan_page.get_by_text(card)).to_have_count(0)
    finally:  # the other stories expect the default
        _set_strangers(admin_page, "10")
