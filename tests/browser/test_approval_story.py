"""Ben replies to Ana's post, whose replies need her approval: the reply has its pause,
then waits, seen by nobody but Ben; Ana approves it from her waiting list, on a wide
screen and on a phone, and Cleo reads it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from server.models.interaction_policies import Interaction
from server.services.interaction_policies import Policy
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

ASKING = Policy.from_presets({Interaction.reply: "anyone-asks"})


def _asks_for_replies(porch, thread: str) -> None:  # type: ignore[no-untyped-def]
    """The post's rules, stored as the composer's choice stores them."""
    post_id = int(thread.rsplit("/", 1)[1])
    with sqlite3.connect(porch.server.data_dir / "porch.db", timeout=30) as db:
        db.execute(
            "INSERT INTO post_policies (post_id, policy) VALUES (?, ?)"
            " ON CONFLICT (post_id) DO UPDATE SET policy = excluded.policy",
            (post_id, json.dumps(ASKING.to_json())),
        )


def _reply(page: Page, thread: str, text: str) -> None:
    page.goto(thread)
    # The post's rules are shown before Ben writes a word: he asks to reply.
    page.locator("article.post.focus").get_by_role("link", name="Ask to reply").click()
    reply = page.get_by_label("Your reply")
    reply.press("End")
    reply.press_sequentially(text)
    page.get_by_role("button", name="Reply", exact=True).click()


@pytest.mark.parametrize("viewport", list(WIDTHS))
def test_ana_approves_a_waiting_reply_and_cleo_reads_it(new_context, porch, viewport) -> None:
    ana, ben, cleo = porch.unique("ana"), porch.unique("ben"), porch.unique("cleo")
    words = f"Which needles are you using, {ana}? ({viewport})"
    ana_page = new_context(viewport=WIDTHS[viewport]).new_page()
    ben_page = new_context(viewport=WIDTHS[viewport]).new_page()
    cleo_page = new_context(viewport=WIDTHS[viewport]).new_page()
    for page, name in ((ana_page, ana), (ben_page, ben), (cleo_page, cleo)):
        porch.sign_up(page, name)
    thread = porch.write_post(ana_page, "Casting on a cabled jumper tonight.")
    porch.eventually(lambda: porch.status(ben_page, thread) == 200)
    _asks_for_replies(porch, thread)

    _reply(ben_page, thread, words)
    # After the pause the reply waits: Ben is told so, and only Ben sees it.
    waiting = ben_page.locator("p.waiting-approval")
    expect(waiting).to_be_visible(timeout=porch.publish_timeout * 1000)
    porch.eventually(lambda: "Approvals" in (ana_page.reload() and ana_page.content()))
    cleo_page.goto(thread)
    expect(cleo_page.get_by_text(words)).to_have_count(0)

    ana_page.get_by_role("link", name="Approvals").first.click()
    expect(ana_page.get_by_role("heading", name="Waiting for your approval")).to_be_visible()
    item = ana_page.locator("li.approval", has_text=words)
    expect(item).to_contain_text("wants to reply to your post")
    approve = item.get_by_role("button", name="Approve")
    expect(approve).to_be_in_viewport()
    expect(item.get_by_role("button", name="Decline")).to_be_in_viewport()
    shoot(ana_page, "approvals", viewport)

    approve.click()
    expect(ana_page.get_by_role("status")).to_contain_text(f"Approved: {ben}")
    expect(ana_page.locator("li.approval")).to_have_count(0)
    cleo_page.goto(thread)
    expect(cleo_page.get_by_text(words)).to_be_visible()
