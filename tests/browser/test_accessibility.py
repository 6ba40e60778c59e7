"""Every main page, as a member and as an admin, at desktop and phone width: axe-core
finds no serious or critical accessibility violation, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.a11y import violations
from tests.browser.test_screenshots import WIDTHS

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

MEMBER_PAGES = (
    "/",
    "/local",
    "/notifications",
    "/notifications/filtered",
    "/compose",
    "/drafts",
    "/follow_requests",
    "/settings/profile",
    "/settings/interactions",
    "/settings/notifications",
    "/settings/password",
    "/settings/apps",
    "/settings/sessions",
    "/settings/standing",
    "/about",
    "/about/ranking",
)
ADMIN_PAGES = (
    "/admin/norms",
    "/admin/norms/history",
    "/admin/members",
    "/admin/dashboard",
    "/admin/audit",
    "/admin/domains",
    "/moderation",
)


def _survey(page: Page, paths: list[str], viewport: str) -> list[str]:
    """What is wrong on each page, as lines; empty when every page passes."""
    found: list[str] = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found.append(f"{path} at {viewport}: {overflow}px too wide")
        for violation in violations(page):
            targets = [", ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
            found.append(
                f"{path} at {viewport}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} — {'; '.join(targets)}"
            )
    return found


def test_the_main_pages_pass_axe_at_both_widths(new_context, porch) -> None:
    ana, ben = porch.unique("ana"), porch.unique("ben")
    admin = porch.unique("root")
    porch.make_admin(admin)
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    admin_page = new_context().new_page()
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    porch.log_in(admin_page, admin)
    ben_page.goto(f"/@{ana}")
    ben_page.get_by_role("button", name="Follow").click()
    thread = porch.write_post(ana_page, "Who else is sowing beans this week? #gardening")
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    ben_page.locator("article.post.focus").get_by_role("link", name="Reply").click()
    ben_page.get_by_label("Your reply").press("End")
    ben_page.get_by_label("Your reply").press_sequentially("Me! Runner beans on the fence.")
    ben_page.get_by_role("button", name="Reply", exact=True).click()
    expect(ben_page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )
    post_id = thread.rsplit("/", 1)[1]

    problems: list[str] = []
    for viewport, size in WIDTHS.items():
        for page in (ana_page, ben_page, admin_page):
            page.set_viewport_size(size)
        member_paths = [*MEMBER_PAGES, thread, f"/@{ana}", f"/@{ben}", f"/posts/{post_id}/quotes"]
        member_paths += [f"/compose?reply_to={post_id}", f"/compose?quote={post_id}"]
        problems += _survey(ana_page, member_paths, viewport)
        problems += _survey(ben_page, ["/", f"/compose?reply_to={post_id}", thread], viewport)
        problems += _survey(admin_page, [*ADMIN_PAGES, "/", thread], viewport)
    assert not problems, "\n".join(problems)


def test_the_check_fails_a_page_people_cannot_use(page: Page) -> None:
    """The helper is not a formality: an image with no text and a field with no label
    are what it exists to catch."""
    page.set_content(
        '<html lang="en"><title>Bad</title><main><img src="data:,">'
        '<form><input type="text"></form></main></html>'
    )
    found = {v["id"] for v in violations(page)}
    assert {"image-alt", "label"} <= found
