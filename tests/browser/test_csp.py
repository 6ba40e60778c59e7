"""The pages' Content-Security-Policy fits them: nothing on the main pages is refused,
and an app's OAuth sign-in still returns to the app."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

try:
    from playwright.sync_api import Page, Route, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = Route = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser


def refused_by_policy(page: Page) -> list[str]:
    """What the policy refused on `page`, as Chromium reports it to the page itself."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security" in m.text else None)
    return found


def test_the_main_pages_load_with_nothing_refused_by_the_policy(new_context, porch) -> None:
    ana, ben, root = porch.unique("ana"), porch.unique("ben"), porch.unique("root")
    porch.make_admin(root)
    ana_page, ben_page = new_context().new_page(), new_context().new_page()
    refused = refused_by_policy(ana_page) + refused_by_policy(ben_page)
    porch.sign_up(ana_page, ana)
    porch.sign_up(ben_page, ben)
    path = porch.write_post(ana_page, f"Which tea for a cold evening? asks {ana}")
    porch.eventually(lambda: porch.status(ben_page, path) == 200)
    # Ana's page reloads itself when the pause ends: let it, before she goes elsewhere.
    expect(ana_page.locator("article.post.pending")).to_have_count(
        0, timeout=porch.publish_timeout * 1000
    )

    # Ben opens the composer with the reply context: the post, the person, a card.
    ben_page.locator("article.post.focus").get_by_role("link", name="Reply").click()
    expect(ben_page.get_by_role("heading", level=1)).to_have_text(f"Reply to {ana}")
    ben_page.get_by_label("Your reply").press_sequentially("Rooibos, always.")
    ben_page.get_by_role("button", name="Reply", exact=True).click()
    expect(ben_page.locator("article.post.pending .countdown")).to_be_visible()

    for where in ("/", "/local", f"/@{ana}", path, "/settings/profile", "/about", "/drafts"):
        assert porch.status(ana_page, where) == 200, where
    admin = new_context().new_page()
    refused += refused_by_policy(admin)
    porch.log_in(admin, root)
    for where in ("/admin/norms", "/admin/dashboard", "/admin/members"):
        assert porch.status(admin, where) == 200, where
    # The avatar placeholder and the reply's indent are styled from the stylesheet.
    admin.goto(path)
    assert admin.locator(".avatar.placeholder").first.evaluate("e => e.offsetWidth") > 0
    assert refused == []


def test_an_app_signs_in_through_the_consent_page_and_gets_its_code(page: Page, porch) -> None:
    ana = porch.unique("ana")
    refused = refused_by_policy(page)
    porch.sign_up(page, ana)
    callback = "https://app.example/callback"
    request = urllib.request.Request(
        porch.url + "/api/v1/apps",
        data=json.dumps({"client_name": "Tusky", "redirect_uris": callback}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        client_id = json.load(answer)["client_id"]
    # The app's own server, which the browser reaches after Ana allows access.
    arrived: list[str] = []

    def app_server(route: Route) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>Signed in</p>")

    page.route("https://app.example/**", app_server)
    page.goto(
        f"/oauth/authorize?response_type=code&client_id={client_id}"
        f"&redirect_uri={callback}&scope=read&state=xyz"
    )
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("Signed in")).to_be_visible()
    assert arrived and arrived[0].startswith(callback + "?")
    assert re.search(r"[?&]code=[^&]+", arrived[0]) and "state=xyz" in arrived[0]
    assert refused == []
