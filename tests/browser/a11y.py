"""Browser helpers every story can share: an accessibility check (axe-core, run in the
page through axe-playwright-python, which ships axe.min.js), what the first viewport
holds, and sideways scrolling.

    from tests.browser.a11y import check_a11y, in_first_viewport, no_sideways_scroll
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

#: What fails a page: violations people who use a screen reader or a keyboard cannot get
#: round. Minor and moderate ones are reported by axe but left to review.
FAILING = ("serious", "critical")


def _axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[test]')")
    return Axe()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = _axe().run(page)
    found = results.response["violations"]
    return [v for v in found if v.get("impact") in FAILING]


def check_a11y(page: Page, where: str = "") -> None:
    """Fail with a readable list when axe-core finds a serious or critical violation."""
    found = violations(page)
    if not found:
        return
    lines = [f"{len(found)} accessibility violation(s) on {where or page.url}:"]
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    pytest.fail("\n".join(lines), pytrace=False)


def in_first_viewport(locator: Locator, *, whole: bool = True) -> bool:
    """Whether the element lies wholly inside the window at the page's current scroll
    (nothing above it scrolled past, nothing of it below the fold): real geometry. With
    `whole=False`, that it starts inside the window (a long element may run on)."""
    box = locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: window.innerHeight}; }"
    )
    if not whole:
        return bool(0 <= box["top"] < box["height"] - 24)
    return bool(box["top"] >= 0 and box["bottom"] <= box["height"])


def no_sideways_scroll(page: Page, where: str = "") -> None:
    """Fail when the page is wider than the window: a phone would scroll sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where or page.url} is {overflow}px too wide"
