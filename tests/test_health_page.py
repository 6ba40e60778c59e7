"""/about/health: the community's health page, shown to everyone only when its admins
turn it on; the same totals as the dashboard, never a name."""

from __future__ import annotations

import html

import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import CareKind
from server.services import norms
from server.services.experiment_arms import HOLDOUT, SHOWN
from server.web.community_health import CLOSED
from tests.test_arm_figures import TODAY, members, moments


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TODAY)


async def open_the_page(app: Starlette, value: str = "on") -> None:
    async with app.state.sessions() as session:
        await norms.change(
            session,
            app.state.settings,
            "outcomes.health_page",
            value,
            reason="Let members see",
            actor_id=None,
            now=TODAY,
        )


async def test_the_health_page_is_closed_by_default(app, visitor) -> None:
    response = await visitor.get("/about/health")
    assert response.status_code == 404
    assert CLOSED in html.unescape(response.text)
    assert "/about/health" not in (await visitor.get("/about")).text


async def test_the_open_health_page_shows_the_totals_and_no_names(app, visitor) -> None:
    shown = await members(app, 12, tag="zelda_")
    held = await members(app, 11, tag="yorick_")
    await moments(app, CareKind.card, SHOWN, shown, [True] * 24 + [False] * 12)
    await moments(app, CareKind.card, HOLDOUT, held, [True] * 6 + [False] * 5)
    await open_the_page(app)
    response = await visitor.get("/about/health")
    assert response.status_code == 200
    page = response.text
    for section in ('id="outcomes"', 'id="holdouts"', 'id="experiments"'):
        assert section in page
    assert "67% (" in page and "24 of 36" in page and "6 of 11" in page
    assert "zelda_" not in page and "yorick_" not in page and "far.example" not in page
    # Only the dashboard links to the norms console.
    assert "/admin/norms" not in page
    assert 'href="/about/health"' in (await visitor.get("/about")).text
    # Turned off again: gone (a new address, past the few seconds of public page cache).
    await open_the_page(app, "off")
    assert (await visitor.get("/about/health?again")).status_code == 404


async def test_the_figures_are_computed_at_most_once_a_minute(app, clock, people) -> None:
    # A member's request skips the public page cache; the figures are still kept a minute.
    ana = people["ana"]
    shown = await members(app, 10, tag="s")
    await moments(app, CareKind.card, SHOWN, shown, [True] * 10)
    await open_the_page(app)
    assert "10 from 10 different members." in (await ana.client.get("/about/health")).text
    await moments(app, CareKind.card, SHOWN, shown, [True] * 10)
    assert "10 from 10 different members." in (await ana.client.get("/about/health")).text
    clock.advance(61)
    assert "20 from 10 different members." in (await ana.client.get("/about/health")).text
