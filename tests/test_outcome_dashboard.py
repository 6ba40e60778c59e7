"""The dashboard's outcomes: each share with its 95 % interval, never for fewer than
ten different members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, CareEvent, CareKind, ReplyWelcome
from server.services import outcome_figures
from server.services.intervals import wilson
from server.web.outcome_tables import share
from tests.test_admin import make_admin
from tests.test_dashboard import Tables

TODAY = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TODAY)


async def members(app: Starlette, count: int) -> list[int]:
    """`count` people (from another server: no sign-up needed to have done something)."""
    async with app.state.sessions() as session:
        made = [
            Actor(username=f"m{n}", domain="far.example", acct_key=f"m{n}@far.example")
            for n in range(count)
        ]
        session.add_all(made)
        await session.commit()
        return [m.id for m in made if m.id is not None]


async def pauses(app: Starlette, people: list[int], outcomes: list[str], **follow: object) -> None:
    """One pause each, by each person in turn, ended as `outcomes` says, yesterday."""
    async with app.state.sessions() as session:
        for n, outcome in enumerate(outcomes):
            session.add(
                CareEvent(
                    kind=CareKind.pause,
                    detail="reply",
                    outcome=outcome,
                    actor_id=people[n % len(people)],
                    reply_id=1000 + n,
                    created_at=TODAY - timedelta(days=1),
                    **follow,
                )
            )
        await session.commit()


async def page_tables(app: Starlette, clock: FrozenClock) -> tuple[str, dict[str, list[list[str]]]]:
    admin = await make_admin(app, clock)
    page = (await admin.get("/admin/dashboard")).text
    await admin.aclose()
    return page, Tables(page).found


async def test_nine_members_are_too_few_to_show(app, clock) -> None:
    nine = await members(app, 9)
    await pauses(app, nine, ["edited"] * 9 + ["as_written"] * 9, answered=True)
    page, _ = await page_tables(app, clock)
    section = page.split('id="outcomes-pause"', 1)[1].split("<h3", 1)[0]
    assert "Too few to show: fewer than 10 different members." in section
    assert "edited during the pause" not in section and "<table" not in section


async def test_ten_members_show_each_share_with_its_interval(app, clock) -> None:
    ten = await members(app, 10)
    # Ten members paused 40 replies: 10 edited, 2 withdrawn, 28 as written; of the 40,
    # 30 were answered within 48 hours and 4 led to a block, mute or report.
    outcomes = ["edited"] * 10 + ["withdrawn"] * 2 + ["as_written"] * 28
    await pauses(app, ten, outcomes[:30], answered=True, turned_away=False)
    await pauses(app, ten, outcomes[30:36], answered=False, turned_away=False)
    await pauses(app, ten, outcomes[36:], answered=False, turned_away=True)
    page, tables = await page_tables(app, clock)
    assert "40 from 10 different members." in page
    rows = {row[0]: row[1:] for row in tables["outcomes"] if row and row[0] != "What happened"}
    assert rows["edited during the pause"] == ["10 of 40", share(outcome_figures.part("", 10, 40))]
    assert rows["posted as written"][0] == "28 of 40"
    assert rows["answered within 48 hours by the person replied to"] == [
        "30 of 40",
        "75% (60–86%)",
    ]
    assert rows["replier blocked, muted or reported within 7 days"][0] == "4 of 40"
    # Nobody answered the welcome question: said so, not a table of zeros.
    assert "Nobody has answered yet" in page


async def test_welcome_answers_show_their_share_from_ten_members(app, clock) -> None:
    ten = await members(app, 10)
    async with app.state.sessions() as session:
        for n in range(20):
            session.add(
                ReplyWelcome(
                    post_id=2000 + n,
                    actor_id=ten[n % 10],
                    welcome=n % 4 != 0,
                    answered_at=TODAY - timedelta(hours=n),
                )
            )
        await session.commit()
    page, tables = await page_tables(app, clock)
    assert "20 answers from 10 different members." in page
    expected = wilson(15, 20)
    assert round(100 * expected.low) == 53 and round(100 * expected.high) == 89
    assert ["said yes, the reply was welcome", "15 of 20", "75% (53–89%)"] in tables["outcomes"]
