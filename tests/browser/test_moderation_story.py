"""A report from start to end in a real browser, at desktop and phone width: Ana reports a
harsh reply, Cleo (a moderator) warns its author citing a norm, Ana hears the outcome,
Ben appeals, and an admin reads the audit log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

KIND_RULE = "Be kind. Disagree with ideas, not with people."


def give_role(porch, username: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """`porch user role NAME ROLE`, as an operator would."""
    env = {**os.environ, "PORCH_DATA_DIR": str(porch.server.data_dir), "PORCH_DATABASE_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "role", username, role],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr


def fits(page: Page) -> None:
    """Nothing sticks out sideways: a phone never scrolls to read it."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px too wide"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_harsh_reply_is_reported_warned_appealed_and_audited(
    new_context, porch, viewport
) -> None:
    ana_name, ben_name = porch.unique("ana"), porch.unique("ben")
    cleo_name, root_name = porch.unique("cleo"), porch.unique("root")
    ana, ben, cleo, root = (new_context(viewport=viewport).new_page() for _ in range(4))
    porch.sign_up(cleo, cleo_name)
    give_role(porch, cleo_name, "moderator")
    porch.make_admin(root_name)

    # Ben answers Ana's post harshly.
    porch.sign_up(ana, ana_name)
    post_id = porch.write_post(ana, "I tried the new bakery on Elm Street.").rsplit("/", 1)[1]
    porch.sign_up(ben, ben_name)
    porch.eventually(lambda: porch.status(ben, f"/compose?reply_to={post_id}") == 200)
    ben.get_by_role("textbox", name="Your reply").fill(f"@{ana_name} what a silly take, honestly")
    ben.get_by_role("button", name="Reply", exact=True).click()
    ben.wait_for_url(re.compile(r"/@\w+/\d+$"))
    reply_id = ben.url.rsplit("/", 1)[1]
    porch.eventually(lambda: porch.status(ana, f"/@{ben_name}/{reply_id}") == 200)

    # Ana, on the reply's page, reports it from its "…" menu: the form opens with the post
    # chosen.
    menu = ana.locator(f"#post-{reply_id} details.more")
    menu.get_by_label("More for this post").click()
    menu.get_by_role("link", name=f"Report @{ben_name}").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text(f"Report @{ben_name}")
    chosen = ana.get_by_role("checkbox", name=re.compile("what a silly take"))
    expect(chosen).to_be_checked()
    expect(chosen).to_be_in_viewport()
    fits(ana)
    ana.get_by_role("checkbox", name=KIND_RULE).check()
    ana.get_by_label("Anything moderators should know?").fill("It stung, in my own thread.")
    ana.get_by_role("button", name="Send the report").click()
    expect(ana.get_by_role("status")).to_contain_text("Moderators will read your report")

    # Cleo finds it in the queue and warns Ben, citing the kindness rule.
    cleo.goto("/")
    cleo.get_by_role("navigation", name="Account").get_by_role("link", name="Moderation").click()
    cleo.get_by_role("link", name=f"@{ben_name}").first.click()
    snapshot = cleo.get_by_role("article", name="Reported post")
    expect(snapshot).to_contain_text("what a silly take, honestly")
    expect(snapshot).to_be_in_viewport()
    expect(cleo.get_by_label("The reporter's comment")).to_contain_text("It stung")
    fits(cleo)
    cleo.get_by_role("radio", name=re.compile("^Warn")).check()
    cleo.get_by_label("The norm it breaks").select_option("rule:1")
    cleo.get_by_label("Reason").fill("Calling someone's take silly is a jab, not an argument.")
    cleo.get_by_role("button", name="Decide").click()
    expect(cleo.get_by_role("status")).to_contain_text("The report is resolved")

    # Ana hears that moderators acted.
    ana.goto("/notifications")
    told = ana.locator("li.moderation-notice")
    expect(told).to_contain_text("Moderators reviewed your report and took action.")
    expect(told).to_be_in_viewport()
    fits(ana)

    # Ben reads the warning with the norm it cites, and appeals it once.
    ben.goto("/notifications")
    warning = ben.locator("li.moderation-notice")
    expect(warning).to_contain_text(KIND_RULE)
    expect(warning).to_be_in_viewport()
    expect(ben.locator("main")).not_to_contain_text(ana_name)
    ben.get_by_role("link", name="Read it, or appeal").click()
    decision = ben.get_by_role("article", name="A warning")
    expect(decision).to_contain_text(KIND_RULE)
    expect(decision.locator(".cited")).to_be_in_viewport()
    fits(ben)
    decision.get_by_label("Appeal: why should this change?").fill("It was meant as a joke.")
    decision.get_by_role("button", name="Send the appeal").click()
    expect(ben.get_by_role("status")).to_contain_text("Your appeal is with the moderators")
    expect(ben.get_by_role("button", name="Send the appeal")).to_have_count(0)

    # The appeal waits in Cleo's queue; she keeps the decision, and Ben is told.
    cleo.goto("/moderation")
    appeal = cleo.get_by_role("article", name=f"Appeal from @{ben_name}")
    expect(appeal).to_contain_text("It was meant as a joke.")
    fits(cleo)
    appeal.get_by_label(f"What to tell @{ben_name}").fill("A joke still lands on a person.")
    appeal.get_by_role("button", name="Keep the decision").click()
    ben.goto("/notifications")
    expect(ben.locator("li.moderation-notice").first).to_contain_text(
        "Moderators read your appeal and kept their decision."
    )

    # An admin reads the audit log and narrows it to Ben.
    porch.log_in(root, root_name)
    root.goto("/admin/audit")
    fits(root)
    root.get_by_label("Account, moderator or words").fill(f"@{ben_name}")
    root.get_by_label("Kind").select_option("action.warn")
    root.get_by_role("button", name="Search").click()
    entry = root.locator("li.audit-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"@{cleo_name}")
    expect(entry).to_contain_text("warned")
    expect(entry).to_contain_text("Calling someone's take silly")
    expect(entry).to_be_in_viewport()
