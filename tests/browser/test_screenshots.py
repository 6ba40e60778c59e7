"""Screenshots of every main page at desktop and phone width, for people to look at.

Not a check of pixels: it writes PNGs to tests/browser/artifacts/screenshots/ (git-ignored)
and fails if a page cannot be reached or any page scrolls sideways at phone width.

    .venv/bin/pytest tests/browser/test_screenshots.py -q
"""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

from tests.browser.test_moderation_story import give_role

pytestmark = pytest.mark.browser

OUT = Path(__file__).parent / "artifacts" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def shoot(page: Page, name: str, viewport: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUT / f"{name}-{viewport}.png", full_page=True)
    # Nothing may stick out sideways: a phone would have to scroll to read it.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {viewport} is {overflow}px too wide"


def test_take_screenshots(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    ana_page = new_context().new_page()
    ben_page = new_context().new_page()
    visitor = new_context().new_page()

    porch.sign_up(ana_page, ana)
    ana_page.goto("/settings/profile")
    ana_page.get_by_label("Display name").fill("Ana Lima")
    ana_page.get_by_label("Bio").fill("Gardener, reader, slow cook. Here for long conversations.")
    ana_page.get_by_role("button", name="Save profile").click()
    give_role(porch, ana, "admin")  # she also sees the moderators' pages
    porch.sign_up(ben_page, ben)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow").click()

    root = porch.write_post(
        ana_page,
        "The tomatoes finally came in this week. What is everyone growing this summer? #gardening",
    )
    porch.eventually(lambda: porch.status(ben_page, root) == 200)
    ben_page.locator("article.post.focus").get_by_role("link", name="Reply").click()
    ben_page.get_by_label("Your reply").press("End")
    ben_page.get_by_label("Your reply").press_sequentially("Beans and far too much basil!")
    ben_page.get_by_role("button", name="Reply", exact=True).click()
    expect(ben_page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )
    reply_path = ben_page.url.removeprefix(porch.url)
    ana_page.goto(reply_path)
    ana_page.locator("article.post.focus").get_by_role("link", name="Reply").click()
    ana_page.get_by_label("Your reply").press("End")
    ana_page.get_by_label("Your reply").press_sequentially("Basil is never too much.")
    ana_page.get_by_role("button", name="Reply", exact=True).click()
    expect(ana_page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )
    draft = porch.write_post(ana_page, "A thought I am not sure about yet.")
    ana_page.goto(draft)
    ana_page.get_by_role("button", name="Withdraw").click()

    for viewport, size in WIDTHS.items():
        for page in (ana_page, ben_page, visitor):
            page.set_viewport_size(size)
        visitor.goto("/")
        shoot(visitor, "welcome", viewport)
        visitor.keyboard.press("Tab")
        shoot(visitor, "focus-skip-link", viewport)
        visitor.keyboard.press("Tab")
        visitor.keyboard.press("Tab")
        shoot(visitor, "focus-nav", viewport)
        visitor.goto("/signup")
        shoot(visitor, "signup", viewport)
        visitor.get_by_role("button", name="Sign up").click()
        shoot(visitor, "signup-error", viewport)
        visitor.goto("/login")
        shoot(visitor, "login", viewport)
        visitor.goto("/posts-that-do-not-exist")
        shoot(visitor, "404", viewport)

        ben_page.goto(root)
        shoot(ben_page, "thread", viewport)
        ben_page.goto(f"/compose?reply_to={root.rsplit('/', 1)[1]}")
        shoot(ben_page, "reply", viewport)
        ben_page.goto("/local")
        shoot(ben_page, "local", viewport)
        ben_page.goto(f"/@{ben}/1")
        shoot(ben_page, "404-member", viewport)

        ana_page.goto("/compose")
        shoot(ana_page, "compose", viewport)
        ana_page.goto(f"/@{ana}")
        shoot(ana_page, "profile", viewport)
        ana_page.goto("/notifications")
        shoot(ana_page, "notifications", viewport)
        ana_page.goto("/drafts")
        shoot(ana_page, "drafts", viewport)
        ana_page.goto("/settings/profile")
        shoot(ana_page, "settings", viewport)
        ana_page.goto("/search?q=@nobody@nowhere.invalid")
        shoot(ana_page, "find-people", viewport)
        ana_page.goto("/follow_requests")
        shoot(ana_page, "follow-requests", viewport)
        ana_page.goto(f"/posts/{root.rsplit('/', 1)[1]}/revise")
        shoot(ana_page, "edit-published", viewport)

        # When someone is not kind: the "…" menu, the report form, the quieter
        # notifications, the thread's author's controls, and the moderators' pages.
        ben_page.goto(root)
        ben_page.locator("article.post.focus details.more summary").click()
        shoot(ben_page, "more-menu", viewport)
        ben_page.locator("article.post.focus details.more").get_by_role("link").click()
        shoot(ben_page, "report", viewport)
        ana_page.goto(reply_path)
        shoot(ana_page, "thread-steward", viewport)
        ana_page.goto("/notifications/filtered")
        shoot(ana_page, "notifications-filtered", viewport)
        ana_page.goto("/settings/notifications")
        shoot(ana_page, "settings-notifications", viewport)
        ana_page.goto("/moderation")
        shoot(ana_page, "moderation", viewport)
        ana_page.goto("/admin/audit")
        shoot(ana_page, "audit-log", viewport)

        # Last, as it waits only for its pause: a post in its pause on the home timeline.
        pending = porch.write_post(ana_page, "Off to water the garden before it gets dark.")
        shoot(ana_page, "pending-post", viewport)
        ana_page.goto("/")
        shoot(ana_page, "home-pending", viewport)
        ana_page.goto(f"/posts/{pending.rsplit('/', 1)[1]}/edit")
        shoot(ana_page, "edit", viewport)
        expect(ana_page.get_by_role("status")).to_contain_text(
            "has gone out", timeout=porch.publish_timeout * 1000
        )
        shoot(ana_page, "edit-after-pause", viewport)

    dark = new_context(color_scheme="dark", viewport=WIDTHS["phone"]).new_page()
    dark.goto("/login")
    dark.get_by_label("Username or email").fill(ana)
    dark.get_by_label("Password").fill(porch.password)
    dark.get_by_role("button", name="Log in").click()
    porch.write_post(dark, "Evening light on the porch.")
    dark.goto("/")
    shoot(dark, "home-pending", "phone-dark")
    dark.goto(root)
    shoot(dark, "thread", "phone-dark")
    dark.goto("/compose")
    shoot(dark, "compose", "phone-dark")
