"""Ben replies to Ana and mentions her; Ana reads it on her notifications page, keeps to
her mentions, likes his reply and follows him back from there, without JavaScript."""

from __future__ import annotations

import re

import pytest

from tests.browser.a11y import check_a11y, in_first_viewport, no_sideways_scroll
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

REPLY = "Yes! Bring the little ones, we start at ten."
MENTION = "Thanks to @{ana} for the idea of a seed swap"


def test_ana_answers_bens_reply_and_follows_him_back_from_her_notifications(
    new_context, porch
) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    # Ana's page works without JavaScript: every action is a plain form.
    ana_page = new_context(java_script_enabled=False).new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    thread = porch.write_post(ana_page, "Is the community garden open on Saturday?")
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow").click()
    porch.reply(ben_page, thread, REPLY)
    mention = porch.write_post(ben_page, MENTION.format(ana=ana))
    porch.eventually(lambda: porch.status(ana_page, mention) == 200)

    ana_page.goto("/notifications")
    ana_page.get_by_role("link", name="Mentions").click()
    expect(ana_page.get_by_role("link", name="Mentions")).to_have_attribute("aria-current", "page")
    listing = ana_page.locator("ol.notifications")
    expect(listing.get_by_text("followed you")).to_have_count(0)
    reply = listing.locator("li", has_text=REPLY)
    # The reply is there to read, as text; only its time opens it.
    expect(reply.locator("blockquote")).to_contain_text(REPLY)
    expect(reply.get_by_role("link", name=re.compile(re.escape(REPLY)))).to_have_count(0)
    expect(listing.locator("li", has_text="for the idea of a seed swap")).to_be_visible()

    reply.get_by_role("button", name=re.compile(r"^Like\b")).click()
    expect(ana_page).to_have_url(re.compile(r"/notifications\?filter=mentions#n-\d+$"))
    liked = ana_page.locator("ol.notifications li", has_text=REPLY)
    expect(liked.get_by_role("button", name=re.compile(r"^Liked\b"))).to_have_attribute(
        "aria-pressed", "true"
    )

    ana_page.get_by_role("link", name="All", exact=True).click()
    follow = ana_page.locator("ol.notifications li", has_text="followed you")
    follow.get_by_role("button", name=re.compile(r"^Follow back")).click()
    expect(ana_page.get_by_role("status")).to_contain_text(f"You follow {ben}")
    expect(ana_page).to_have_url(re.compile(r"/notifications#n-\d+$"))
    follow = ana_page.locator("ol.notifications li", has_text="followed you")
    expect(follow.get_by_text("Following", exact=True)).to_be_visible()
    ben_page.goto(f"/@{ben}/followers")
    expect(ben_page.get_by_text(f"@{ana}")).to_be_visible()

    # axe runs in the page, so the checks read it in a browser with JavaScript on.
    checked = new_context().new_page()
    porch.log_in(checked, ana)
    for viewport, size in WIDTHS.items():
        checked.set_viewport_size(size)
        for address, name in (
            ("/notifications", "notifications"),
            ("/notifications?filter=mentions", "notifications-mentions"),
        ):
            checked.goto(address)
            first = checked.locator("ol.notifications li").first
            assert in_first_viewport(first, whole=False), f"{address} at {viewport}"
            no_sideways_scroll(checked, f"{address} at {viewport}")
            check_a11y(checked, f"{address} at {viewport}")
            shoot(checked, name, viewport)
