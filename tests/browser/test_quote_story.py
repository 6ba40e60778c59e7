"""Ben quotes Ana's post: the composer shows her post and a card to think with, the quote
shows her post inside his, and Ana can take her post back out of it."""

from __future__ import annotations

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

ANAS = "Slow mornings on the porch are the best mornings."
BENS = "This is why I moved out of the city."


def test_ben_quotes_ana_with_the_card_and_ana_removes_it(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    post = porch.write_post(ana_page, ANAS)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow", exact=True).click()
    porch.eventually(lambda: porch.status(ben_page, post) == 200)

    ben_page.locator("article.post.focus").get_by_role("link", name="Quote").click()
    compose_url = ben_page.url
    for viewport, size in WIDTHS.items():
        ben_page.set_viewport_size(size)
        ben_page.goto(compose_url)
        card = ben_page.get_by_label("Before you quote")
        expect(card).to_contain_text(f"{ana} will see that you quoted them")
        expect(card).to_contain_text("what do you want readers to take from it?")
        expect(card).to_be_in_viewport()
        expect(ben_page.get_by_label("The post you are quoting")).to_contain_text(ANAS)
        shoot(ben_page, "compose-quote", viewport)

    ben_page.get_by_label("What you want to say about it").fill(BENS)
    ben_page.get_by_role("button", name="Post", exact=True).click()
    expect(ben_page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )
    quote = ben_page.locator("article.post", has_text=BENS).first
    expect(quote.locator("blockquote.quoted-post")).to_contain_text(ANAS)
    expect(quote.locator(".quote-inline")).to_have_count(0)  # no "RE:" line here
    quote_path = ben_page.url.removeprefix(porch.url)
    for viewport, size in WIDTHS.items():
        ben_page.set_viewport_size(size)
        ben_page.goto(quote_path)
        shoot(ben_page, "post-with-quote", viewport)

    ana_page.goto("/notifications")
    ana_page.get_by_role("link", name="See it, or remove the quote").click()
    expect(ana_page.locator("article.post", has_text=BENS).first).to_be_visible()
    ana_page.on("dialog", lambda dialog: dialog.accept())
    ana_page.get_by_role("button", name="Remove my post from this quote").click()
    expect(ana_page.get_by_role("status")).to_contain_text("The quote is removed")

    ben_page.goto(quote_path)
    expect(ben_page.get_by_text("Removed by its author.")).to_be_visible()
    expect(ben_page.get_by_text(ANAS)).to_have_count(0)
