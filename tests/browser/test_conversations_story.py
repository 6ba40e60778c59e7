"""Ben reads a conversation on his Conversations timeline: the post, why it is there and
the exchange that earned its place make one unit, and the exchange opens without
scripts, at desktop and phone widths."""

from __future__ import annotations

import pytest

from tests.browser.a11y import check_a11y, no_sideways_scroll
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

CLEO = "Tumbling Tom does well for me, it stays short and sturdy in the wind."
ANA = "Thank you! Does it need a deep pot, or will a small one do?"
BEN = "I grow Balconi Red on the fourth floor: it shrugs off the wind."


def _follow(page: Page, username: str) -> None:
    page.goto(f"/@{username}")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()


def _reply(page: Page, porch, thread: str, to: str | None, text: str) -> None:  # type: ignore[no-untyped-def]
    """Reply in the thread: to its first post, or to the reply saying `to`."""
    page.goto(thread)
    post = page.locator("article.post.focus" if to is None else "article.post", has_text=to)
    post.get_by_role("link", name="Reply", exact=True).click()
    page.get_by_label("Your reply").press("End")
    page.get_by_label("Your reply").press_sequentially(text)
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )


def test_ben_reads_a_conversation_as_one_unit_and_opens_its_exchange(new_context, porch) -> None:
    ana, ben, cleo = porch.unique("ana"), porch.unique("ben"), porch.unique("cleo")
    ana_page, cleo_page = new_context().new_page(), new_context().new_page()
    ben_page = new_context().new_page()
    for page, name in ((ana_page, ana), (ben_page, ben), (cleo_page, cleo)):
        porch.sign_up(page, name)
    # Ben reads without JavaScript too: the exchange is a plain <details>.
    bare = new_context(java_script_enabled=False).new_page()
    porch.log_in(bare, ben)
    _follow(ben_page, ana)
    _follow(ben_page, cleo)
    question = f"Which tomatoes grow well in pots on a windy balcony? asks {ana}"
    thread = porch.write_post(ana_page, question)
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    _reply(cleo_page, porch, thread, None, CLEO)
    _reply(ana_page, porch, thread, CLEO, ANA)
    _reply(ben_page, porch, thread, None, BEN)

    for viewport, size in WIDTHS.items():
        bare.set_viewport_size(size)
        bare.goto("/")
        unit = bare.locator("article.conversation", has_text=question)
        expect(unit).to_have_count(1)
        # The card, the reasons and the exchange are inside the one unit.
        expect(unit.locator("article.post")).to_contain_text(question)
        why = unit.get_by_role("complementary", name="Why this post is here")
        expect(why.locator(".reasons")).to_contain_text("Here because:")
        expect(why.locator(".reasons")).to_contain_text("A real back-and-forth · ")
        expect(why.locator(".reasons li")).to_have_count(0)  # a line of text, not chips
        expect(unit.locator("article.post")).to_contain_text("3 replies")
        summary = unit.locator("details.exchange > summary")
        expect(summary).to_contain_text(f"3 replies from {cleo}, {ana} and you")
        expect(unit.get_by_text(ANA)).to_be_hidden()  # folded
        no_sideways_scroll(bare, f"Conversations at {viewport}")
        shoot(bare, "conversations", viewport)

        summary.click()
        replies = unit.locator("details.exchange article.reply")
        expect(replies).to_have_count(3)
        expect(replies.nth(0)).to_contain_text(CLEO)
        expect(replies.nth(1)).to_contain_text(ANA)
        expect(replies.nth(1)).to_contain_text(f"Replying to {cleo}")
        expect(replies.nth(2)).to_contain_text(BEN)
        link = unit.get_by_role("link", name=f"Open the conversation started by {ana}")
        expect(link).to_have_attribute("href", thread)
        no_sideways_scroll(bare, f"Conversations, exchange open, at {viewport}")
        shoot(bare, "conversations-exchange", viewport)
        # axe runs in the page: with scripts, the exchange opened the same way.
        ben_page.set_viewport_size(size)
        ben_page.goto("/")
        ben_page.locator("article.conversation", has_text=question).locator(
            "details.exchange > summary"
        ).click()
        check_a11y(ben_page, f"Conversations at {viewport}")

    ana_page.goto("/")
    mine = ana_page.locator("article.conversation", has_text=question)
    mine.locator("details.score > summary").click()
    expect(mine.get_by_role("table")).to_contain_text("You started this conversation")
    expect(mine.locator(".reasons")).not_to_contain_text(f"{ana} posts rarely")
    expect(mine.locator("details.exchange > summary")).to_contain_text(
        f"3 replies from {cleo}, {ben} and you"
    )
