"""Ben answers Ana at desktop and phone width: who she is, the card and her post stay in
view above his reply box; a harsh first try brings "A second look?" to the top, announced;
"This didn't fit" keeps what he typed, with JavaScript or without."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.a11y import check_a11y, in_first_viewport, no_sideways_scroll
from tests.browser.test_screenshots import WIDTHS, shoot

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture skips these tests, or fails them when CI=true
    Page = expect = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser


def _in_view(page: Page, *selectors: str, starting: tuple[str, ...] = ()) -> None:
    """The page is at its top, each of `selectors` wholly in the window, and each of
    `starting` at least begins in it. (Measured with the page's own JavaScript: without
    it the layout is the same: the runs with it measure it.)"""
    assert page.evaluate("window.scrollY") == 0, "the page jumped past its top"
    for selector in selectors:
        found = page.locator(selector).first
        assert in_first_viewport(found), f"{selector} is outside the first viewport"
    for selector in starting:
        found = page.locator(selector).first
        assert in_first_viewport(found, whole=False), f"{selector} starts below the fold"


@pytest.mark.parametrize(
    ("viewport", "scripts"), [("desktop", True), ("phone", True), ("phone", False)]
)
def test_ben_keeps_ana_in_view_while_he_replies(
    new_context, porch, viewport: str, scripts: bool
) -> None:
    size = WIDTHS[viewport]
    ana_name, ben_name = porch.unique("ana"), porch.unique("ben")
    ana = new_context(viewport=size).new_page()
    porch.sign_up(ana, ana_name)
    ana.goto("/settings/profile")
    ana.get_by_label("Bio").fill("Balcony gardener. Slow replies, long letters.")
    ana.get_by_label("How I like to be approached").fill("Kind words welcome; no lectures.")
    ana.get_by_role("button", name="Save profile").click()
    path = porch.write_post(
        ana, "My basil keeps dying, whatever I do. Three plants this spring already."
    )
    post_id = path.rsplit("/", 1)[1]

    ben = new_context(viewport=size, java_script_enabled=scripts).new_page()
    porch.sign_up(ben, ben_name)
    porch.eventually(lambda: porch.status(ben, f"/compose?reply_to={post_id}") == 200)
    name = "js" if scripts else "nojs"
    shoot(ben, f"reply-{name}", viewport)
    # Everything he answers is above the box, and the page has not jumped past it.
    if scripts:
        _in_view(
            ben,
            "details.person-context > summary",
            ".interaction-note",
            "aside.card",
            "section.replying-to",
            "label[for=text]",
        )
        no_sideways_scroll(ben)
        check_a11y(ben, f"the reply composer at {viewport}")
    expect(ben.locator("details.person-context > summary")).to_contain_text("never talked")
    expect(ben.locator("#pause-length")).to_have_text(
        re.compile(r"Your reply goes out \d+ seconds? after you send it; you can change")
    )
    expect(ben.get_by_label("Who can see it")).to_have_value("public")

    # The card did not fit: he says so, and what he typed comes back with the thanks.
    reply = ben.get_by_role("textbox", name="Your reply")
    reply.fill(f"@{ana_name} Mine too! It hates cold nights.")
    ben.get_by_label("Who can see it").select_option("unlisted")
    ben.get_by_role("button", name="This didn’t fit").click()
    expect(ben.get_by_role("status").first).to_contain_text("this card did not fit")
    expect(reply).to_have_value(f"@{ana_name} Mine too! It hates cold nights.")
    expect(ben.get_by_label("Who can see it")).to_have_value("unlisted")
    expect(ben.locator("aside.card")).to_have_count(0)

    # A harsh first try: the second look is the first thing on the page, and read out.
    reply.fill(f"@{ana_name} Why would you keep buying basil??? STOP KILLING PLANTS")
    ben.get_by_role("button", name="Reply", exact=True).click()
    nudge = ben.get_by_role("alert").filter(has_text="A second look?")
    expect(nudge).to_be_visible()
    expect(nudge.locator("mark").first).to_have_text("Why would you")
    shoot(ben, f"reply-nudge-{name}", viewport)
    if scripts:
        _in_view(ben, "section.tone-nudge", starting=("section.replying-to",))
        assert ben.evaluate("document.activeElement.id") == "nudge"
        no_sideways_scroll(ben)
        check_a11y(ben, f"the tone nudge at {viewport}")

    reply.fill(f"@{ana_name} Mine too. Does it get the morning sun?")
    ben.get_by_role("button", name="Reply with these words").click()
    expect(ben.locator("article.post.pending")).to_contain_text("Does it get the morning sun?")
    if scripts:
        check_a11y(ben, "Ben's pending reply")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_ana_posts_two_described_images(new_context, porch, tmp_path: Path, viewport: str) -> None:
    beans, bed = tmp_path / "beans.png", tmp_path / "bed.jpg"
    Image.new("RGB", (800, 600), (110, 170, 70)).save(beans, "PNG")
    Image.new("RGB", (600, 800), (100, 70, 40)).save(bed, "JPEG")
    ana_name = porch.unique("ana")
    ana = new_context(viewport=WIDTHS[viewport]).new_page()
    porch.sign_up(ana, ana_name)
    ana.goto("/compose")
    ana.get_by_label("Your post").fill("The bean bed, a month in.")
    ana.get_by_label("Add images").set_input_files([beans, bed])
    # The files chosen show before they are sent (a local preview the page's policy allows).
    chosen = ana.get_by_role("list", name="Images chosen, not sent yet").get_by_role("img")
    expect(chosen).to_have_count(2)
    ana.wait_for_function(
        "() => { const i = document.querySelector('.chosen-previews img');"
        " return i && i.complete && i.naturalWidth === 800; }"
    )
    ana.get_by_role("button", name="Attach").click()
    # Previews to describe; the words are still there; nothing is posted yet.
    expect(ana.get_by_label("Your post")).to_have_value("The bean bed, a month in.")
    expect(ana.locator("li.attached-image img")).to_have_count(2)
    expect(ana.locator(".reminder")).to_have_count(2)
    ana.get_by_label("Description of image 1 (alt text)").fill("Green bean pods on a vine")
    # A click on the image sets its focus point: here, the top-left quarter's middle.
    first = ana.locator("li.attached-image img").first
    box = first.bounding_box()
    assert box
    first.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.25})
    focus = ana.locator("input[id^=focus_]").first
    expect(focus).to_have_value(re.compile(r"^-0\.\d\d,0\.\d\d$"))
    x, y = (float(v) for v in focus.input_value().split(","))
    assert abs(x + 0.5) < 0.05 and abs(y - 0.5) < 0.05, (x, y)
    expect(ana.locator(".focus-dot").first).to_be_visible()
    ana.locator("input[id^=focus_]").first.fill("0,0.5")
    shoot(ana, "compose-images", viewport)
    no_sideways_scroll(ana)
    check_a11y(ana, f"the composer with images at {viewport}")
    ana.get_by_role("button", name="Post", exact=True).click()
    ana.wait_for_url(re.compile(r"/@\w+/\d+$"))
    post = ana.locator("article.post.focus")
    expect(post.locator(".media img")).to_have_count(2)
    expect(post.get_by_role("img", name="Green bean pods on a vine")).to_be_visible()
    check_a11y(ana, f"a post with images at {viewport}")
