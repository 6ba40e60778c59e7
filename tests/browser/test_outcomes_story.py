"""The admin turns on "Was this reply welcome?"; Ana answers it about Ben's reply,
privately, on her phone and her laptop; Ben never sees it; the dashboard fits a phone."""

from __future__ import annotations

import pytest

from tests.browser.a11y import check_a11y, no_sideways_scroll
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

QUESTION = "Was this reply welcome?"
REPLY = "I have a spare ladder, come and take it whenever."


def test_ana_says_privately_whether_bens_reply_was_welcome(new_context, porch) -> None:
    root, ana, ben = porch.unique("root"), porch.unique("ana"), porch.unique("ben")
    porch.make_admin(root)
    admin = new_context().new_page()
    porch.log_in(admin, root)
    admin.goto("/admin/norms?section=outcomes")
    form = admin.locator("form#outcomes\\.welcome_question")
    form.get_by_label("Ask whether a reply was welcome").select_option("on")
    form.get_by_label("Why").fill("To learn whether our care helps")
    form.get_by_role("button", name="Save ask whether a reply was welcome").click()
    expect(admin.get_by_role("status").first).to_contain_text("Saved")

    # Ana answers without JavaScript: the question is a plain form.
    ana_page = new_context(java_script_enabled=False).new_page()
    ben_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    thread = porch.write_post(ana_page, "Does anyone have a ladder I could borrow?")
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    porch.reply(ben_page, thread, REPLY)

    # On her laptop, without JavaScript, Ana says it was not really welcome.
    ana_page.set_viewport_size(WIDTHS["desktop"])
    porch.eventually(lambda: porch.status(ana_page, thread) == 200 and REPLY in ana_page.content())
    asked = ana_page.get_by_role("group", name=QUESTION)
    expect(asked).to_have_count(1)
    asked.get_by_role("button", name="Not really", exact=True).click()
    expect(ana_page.get_by_role("status").first).to_contain_text("Only you see this answer")
    expect(ana_page.get_by_role("group", name=QUESTION)).to_contain_text("You said not really")

    # On her phone she thinks again; the page reads well at both widths.
    phone = new_context().new_page()
    porch.log_in(phone, ana)
    for viewport, size in WIDTHS.items():
        phone.set_viewport_size(size)
        phone.goto(thread)
        asked = phone.get_by_role("group", name=QUESTION)
        expect(asked).to_be_visible()
        check_a11y(phone, f"the thread with the question at {viewport}")
        no_sideways_scroll(phone, f"the thread at {viewport}")
        shoot(phone, "thread-welcome-question", viewport)
    phone.get_by_role("group", name=QUESTION).get_by_role("button", name="Yes").click()
    asked = phone.get_by_role("group", name=QUESTION)
    expect(asked).to_contain_text("You said yes")
    expect(asked.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")

    # Ben, who wrote the reply, is never asked and never told.
    ben_page.goto(thread)
    expect(ben_page.get_by_text(REPLY)).to_be_visible()
    expect(ben_page.get_by_text(QUESTION)).to_have_count(0)
    expect(ben_page.get_by_text("You said")).to_have_count(0)

    # The admins' dashboard reads at both widths; with two members, nothing is shown.
    for viewport, size in WIDTHS.items():
        admin.set_viewport_size(size)
        admin.goto("/admin/dashboard#outcomes")
        outcomes = admin.locator("section#outcomes")
        expect(outcomes.get_by_role("heading", name="What the care led to")).to_be_visible()
        expect(outcomes).to_contain_text("Too few to show")
        check_a11y(admin, f"the dashboard at {viewport}")
        shoot(admin, "dashboard-outcomes", viewport)
