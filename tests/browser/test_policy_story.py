"""Ana vents: choosing "venting" shows the rules it brings, she opens replies for this
one post, and Ben, who does not follow her, sees that quoting is closed and why."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

VENTING = "venting — no advice please"
TEXT = "The bus broke down again and I walked in the rain for an hour."


def test_ana_chooses_venting_and_changes_one_rule_for_this_post(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)

    for viewport, size in WIDTHS.items():
        ana_page.set_viewport_size(size)
        ana_page.goto("/compose")
        rules = ana_page.locator("#policy-summary")
        expect(rules).to_contain_text("anyone may reply")
        # The intent brings its rules: the summary says so before anything is sent.
        ana_page.get_by_label("What are you looking for?").select_option(VENTING)
        expect(rules).to_contain_text(
            f"“{VENTING}” brings: replies from people who are not mutuals need your approval"
        )
        expect(rules).to_contain_text("no quotes")
        ana_page.locator("details.policy-field > summary").click()
        expect(ana_page.get_by_label("Who may reply", exact=True)).to_be_visible()
        shoot(ana_page, "compose-policy", viewport)
        ana_page.goto("/settings/interactions")
        expect(
            ana_page.get_by_role("heading", name="Who may reply, boost and quote")
        ).to_be_visible()
        shoot(ana_page, "settings-interactions", viewport)

    # For this post only, Ana lets anyone reply; venting still keeps quotes closed.
    ana_page.goto("/compose")
    ana_page.get_by_label("Your post").fill(TEXT)
    ana_page.get_by_label("What are you looking for?").select_option(VENTING)
    ana_page.locator("details.policy-field > summary").click()
    ana_page.get_by_label("Who may reply", exact=True).select_option("anyone")
    ana_page.get_by_role("button", name="Post", exact=True).click()
    ana_page.wait_for_url(re.compile(r"/@\w+/\d+$"))
    thread = ana_page.url.removeprefix(porch.url)

    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    for viewport, size in WIDTHS.items():
        ben_page.set_viewport_size(size)
        ben_page.goto(thread)
        post = ben_page.locator("article.post.focus")
        expect(post.get_by_role("link", name="Reply", exact=True)).to_be_in_viewport()
        expect(post.locator(".tag-limited")).to_have_count(0)  # replies are open
        shoot(ben_page, "post-policy-reader", viewport)

    ana_page.goto("/posts/" + thread.rsplit("/", 1)[1] + "/policy")
    expect(ana_page.get_by_label("Who may quote", exact=True)).to_have_value("nobody")
    expect(ana_page.get_by_label("Who may reply", exact=True)).to_have_value("anyone")
    ana_page.get_by_label("Who may reply", exact=True).select_option("followers")
    ana_page.get_by_role("button", name="Save").click()
    expect(ana_page.get_by_role("status")).to_contain_text("the new rules apply")

    ben_page.goto(thread)
    post = ben_page.locator("article.post.focus")
    expect(post.locator(".tag-limited")).to_have_text("replies limited")
    expect(post.get_by_role("link", name="Reply", exact=True)).to_have_count(0)
    expect(ben_page.locator(".policy-closed")).to_contain_text(
        f"Only people who follow {ana} can reply"
    )
