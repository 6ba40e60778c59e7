"""Ana opens her thread after Ben answers, and Ben reads Latest: the post's whole moment
and audience, icon actions named for screen readers, one Reply, the slow-mode control
under the first post; in Latest, whom a reply answers."""

from __future__ import annotations

import pytest

from tests.browser.a11y import check_a11y, no_sideways_scroll
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

WORDS = "Who else is sowing beans this week?"
REPLY = "Me! Runner beans on the fence."


def test_ana_reads_her_thread_and_ben_sees_whom_his_reply_answers(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow").click()
    thread = porch.write_post(ana_page, WORDS)
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    porch.reply(ben_page, thread, REPLY)

    for viewport, size in WIDTHS.items():
        ana_page.set_viewport_size(size)
        ana_page.goto(thread)
        first = ana_page.locator("article.post.focus")
        expect(first.locator(".post-meta time")).to_contain_text(" UTC")
        expect(first.locator(".post-meta")).to_contain_text("Public")
        # Icons named for screen readers; the reply count beside its icon.
        expect(first.get_by_role("link", name="Reply", exact=True)).to_have_count(1)
        expect(first.locator(".acts svg.icon-reply")).to_be_visible()
        expect(first.locator(".acts .count")).to_have_text("1 reply")
        expect(ana_page.get_by_role("link", name="Reply", exact=True)).to_have_count(2)  # hers, his
        expect(ana_page.get_by_role("link", name="Thread", exact=True)).to_have_count(0)
        # The thread's own control sits under its first post, not above everything.
        slow = ana_page.get_by_role("button", name="Slow this thread down")
        below = slow.bounding_box()
        card = first.bounding_box()
        assert below and card and below["y"] >= card["y"] + card["height"]
        no_sideways_scroll(ana_page, f"the thread at {viewport}")
        check_a11y(ana_page, f"the thread at {viewport}")
        shoot(ana_page, "thread", viewport)

        ben_page.set_viewport_size(size)
        ben_page.goto("/")
        if viewport == "desktop":
            ben_page.get_by_role("button", name="Latest").click()
        line = ben_page.locator("article.post", has_text=REPLY).locator(".reply-line")
        expect(line).to_have_text(f"Replying to {ana}")
        expect(line.get_by_role("link", name=ana)).to_have_attribute("href", thread)
        no_sideways_scroll(ben_page, f"Latest at {viewport}")
        check_a11y(ben_page, f"Latest at {viewport}")
        shoot(ben_page, "latest", viewport)
