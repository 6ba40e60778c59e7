"""Ana hides a harsh reply on her own thread, and Cleo no longer reads it."""

from __future__ import annotations

import pytest

from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

HARSH = "Nobody asked about your tomatoes. Nobody."
KIND = "Mine never ripen before September, I envy you!"
PLACEHOLDER = "A reply hidden by the thread’s author"


def test_ana_hides_a_harsh_reply_and_cleo_no_longer_reads_it(new_context, porch) -> None:
    ana, ben, cleo = porch.unique("ana"), porch.unique("ben"), porch.unique("cleo")
    # Ana hides without JavaScript: the button is a plain form.
    ana_page = new_context(java_script_enabled=False).new_page()
    ben_page, cleo_page = new_context().new_page(), new_context().new_page()
    for page, name in ((ana_page, ana), (ben_page, ben), (cleo_page, cleo)):
        porch.sign_up(page, name)
    thread = porch.write_post(ana_page, "The first tomatoes of the summer are in!")
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    porch.reply(ben_page, thread, HARSH)
    porch.reply(cleo_page, thread, KIND)

    ana_page.goto(thread)
    harsh = ana_page.locator("article.post", has_text=HARSH)
    expect(harsh).to_be_visible()
    ana_page.get_by_role("button", name="Hide this reply").first.click()
    expect(ana_page.get_by_role("status")).to_contain_text("The reply is hidden")
    expect(ana_page.get_by_text(f"You hid a reply from {ben}")).to_be_visible()
    expect(ana_page.get_by_role("button", name="Show it again")).to_be_visible()

    for viewport, size in WIDTHS.items():
        cleo_page.set_viewport_size(size)
        cleo_page.goto(thread)
        placeholder = cleo_page.locator("article.hidden-reply")
        expect(placeholder).to_have_text(PLACEHOLDER + ".")
        expect(placeholder).to_be_in_viewport()
        expect(cleo_page.get_by_text(HARSH)).to_have_count(0)
        expect(cleo_page.get_by_text(KIND)).to_be_visible()
        shoot(cleo_page, "thread-hidden-reply", viewport)
        ana_page.set_viewport_size(size)
        ana_page.goto(thread)
        shoot(ana_page, "thread-hidden-reply-author", viewport)

    # Ben still reads his reply, and is told that others in the thread do not.
    ben_page.goto(thread)
    expect(ben_page.get_by_text(HARSH)).to_be_visible()
    expect(ben_page.get_by_role("note")).to_contain_text("its author has hidden it from others")

    ana_page.get_by_role("button", name="Show it again").click()
    cleo_page.goto(thread)
    expect(cleo_page.get_by_text(HARSH)).to_be_visible()
    expect(cleo_page.locator("article.hidden-reply")).to_have_count(0)
