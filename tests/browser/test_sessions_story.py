"""Ana ends the session she left open on a shared computer, from Settings > Sessions."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser


def test_ana_ends_the_session_she_left_on_the_library_computer(new_context, porch) -> None:
    ana = porch.unique("ana")
    laptop = new_context().new_page()
    library = new_context().new_page()
    porch.sign_up(laptop, ana)
    porch.log_in(library, ana)

    laptop.get_by_role("contentinfo").get_by_role("link", name="Settings").click()
    laptop.get_by_role("main").get_by_role("link", name="Sessions").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Sessions")
    sessions = laptop.locator("ul.sessions > li")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="(this device)")).to_have_count(1)
    other = sessions.filter(has_not_text="(this device)")
    other.get_by_role("button", name="End").click()
    expect(laptop.get_by_role("status")).to_have_text("That session has ended.")
    expect(laptop.locator("ul.sessions > li")).to_have_count(1)

    library.reload()
    expect(library.get_by_role("button", name="Log out")).to_have_count(0)
