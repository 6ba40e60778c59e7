"""A member quiets things down in a browser: mutes someone for a day from the "…" menu,
keeps strangers' notifications apart, and lets one stranger in. At 1280 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    expect = None

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_ana_mutes_ben_for_a_day_and_lets_a_stranger_in_from_her_filtered_inbox(
    new_context, porch, viewport
) -> None:
    ana, ben, cleo = porch.unique("ana"), porch.unique("ben"), porch.unique("cleo")
    ana_page = new_context(viewport=viewport).new_page()
    ben_page = new_context().new_page()
    cleo_page = new_context().new_page()
    for page, name in ((ana_page, ana), (ben_page, ben), (cleo_page, cleo)):
        porch.sign_up(page, name)

    # Ben's post has the "…" menu; from it Ana mutes him for one day.
    path = porch.write_post(ben_page, f"Loud opinions about spoons, by {ben}")
    porch.eventually(lambda: porch.status(ana_page, path) == 200)
    post = ana_page.locator("article.post.focus")
    post.get_by_label("More for this post").click()
    menu = post.locator(".more-items")
    expect(menu.get_by_role("button", name="Mute conversation")).to_be_visible()
    expect(menu.get_by_role("button", name=f"Block @{ben}")).to_be_visible()
    expect(menu.get_by_role("link", name=f"Report @{ben}")).to_be_visible()
    # It fits the screen, phone included.
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    menu.get_by_label(f"Mute @{ben} for").select_option(label="1 day")
    menu.get_by_role("button", name="Mute", exact=True).click()
    expect(ana_page.get_by_role("status").first).to_contain_text(f"Muted @{ben} for 1 day.")
    ana_page.goto(f"/@{ben}")
    expect(ana_page.locator(".muted-note")).to_contain_text(f"You mute @{ben} until")

    # She keeps notifications from people she doesn't follow apart.
    ana_page.goto("/notifications")
    ana_page.get_by_role("link", name="Notification filters").click()
    strangers = ana_page.get_by_role("group", name="People you don't follow", exact=True)
    strangers.get_by_label("Keep apart", exact=True).check()
    ana_page.get_by_role("button", name="Save filters").click()
    expect(ana_page.get_by_role("status").first).to_contain_text("filters are saved")

    # Cleo, a stranger, mentions her: it waits in the filtered inbox, counted for Cleo.
    porch.write_post(cleo_page, f"@{ana} would you like some quince jam?")

    def filtered() -> bool:
        ana_page.goto("/notifications")
        return ana_page.get_by_role("link", name="Filtered notifications: 1").count() == 1

    porch.eventually(filtered)
    expect(ana_page.locator(".notifications")).not_to_contain_text("quince")
    ana_page.get_by_role("link", name="Filtered notifications: 1").click()
    waiting = ana_page.locator("ul.requests li").first
    expect(waiting).to_contain_text(cleo)
    expect(waiting).to_contain_text("1 notification")

    # She accepts Cleo: the mention joins her notifications.
    waiting.get_by_role("button", name=f"Accept {cleo}").click()
    expect(ana_page.get_by_role("status").first).to_contain_text(f"Accepted @{cleo}")
    ana_page.goto("/notifications")
    note = ana_page.locator(".notifications li").first
    expect(note).to_contain_text("mentioned you")
    expect(note).to_contain_text("quince jam")
