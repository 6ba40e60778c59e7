"""Care events are kept `outcomes.keep_days`, then only daily counts remain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import CareDaily, CareEvent, CareKind, ReplyWelcome
from server.services import care_retention
from tests.conftest import publish_due
from tests.test_care_follow_ups import DAY, upkeep
from tests.test_care_moments import norm_changed

#: Monday 3 March 2025, 09:00 UTC.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


async def daily(app: Starlette) -> dict[tuple[date, str, str, str], CareDaily]:
    async with app.state.sessions() as session:
        rows = (await session.exec(select(CareDaily))).all()
    return {(r.day, r.kind, r.detail, r.outcome): r for r in rows}


async def kept(app: Starlette) -> list[CareEvent]:
    async with app.state.sessions() as session:
        found = await session.exec(
            select(CareEvent).where(CareEvent.kind == CareKind.pause).order_by(col(CareEvent.id))
        )
        return list(found.all())


def test_whole_days_are_folded() -> None:
    now = datetime(2025, 6, 10, 15, 30, tzinfo=UTC)
    assert care_retention.cutoff(7, now) == datetime(2025, 6, 3, tzinfo=UTC)


async def test_old_days_become_counts_and_their_events_go(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    # Given the community keeps events a week,
    version = await norm_changed(app, clock, "outcomes.keep_days", 7)
    # on Monday Ana asks, Ben and Cleo answer, Ana answers Ben, and says Cleo's reply
    # was not really welcome,
    question = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 31)
    bens = await ben.post("I do", reply_to=question)
    cleos = await cleo.post("Buy one", reply_to=question)
    await publish_due(app, clock, 60)
    await ana.post("Thanks Ben", reply_to=bens)
    await publish_due(app, clock, 60)
    async with app.state.sessions() as session:
        ana_id = (await kept(app))[0].actor_id
        assert ana_id is not None
        session.add(
            ReplyWelcome(post_id=cleos, actor_id=ana_id, welcome=False, answered_at=clock.now())
        )
        await session.commit()
    # and on Tuesday Ana posts again.
    await publish_due(app, clock, DAY)
    tuesday = await ana.post("Found a second ladder")
    await publish_due(app, clock, 31)

    # A week and a day after Monday, the worker folds Monday, and only Monday.
    await publish_due(app, clock, 7 * DAY)
    await upkeep(app, clock)
    monday = START.date()
    counts = await daily(app)
    assert set(counts) == {
        (monday, "pause", "post", "as_written"),
        (monday, "pause", "reply", "as_written"),
        (monday, "welcome", "", "not_really"),
        (monday, "rules_shown", "", ""),
    }
    replies = counts[(monday, "pause", "reply", "as_written")]
    assert (replies.events, replies.members, replies.norms_version) == (3, 3, version)
    assert (replies.followed_up, replies.answered) == (3, 1)
    assert counts[(monday, "welcome", "", "not_really")].events == 1
    assert [e.reply_id for e in await kept(app)] == [tuesday]
    async with app.state.sessions() as session:
        assert (await session.exec(select(ReplyWelcome))).all() == []

    # Running again folds nothing twice.
    await publish_due(app, clock, 3600)
    assert (await upkeep(app, clock)).folded == 0
    assert {k: r.events for k, r in (await daily(app)).items()} == {
        k: r.events for k, r in counts.items()
    }

    # And after another day Tuesday joins them, in its own row.
    await publish_due(app, clock, DAY)
    await upkeep(app, clock)
    assert (await daily(app))[
        (monday + timedelta(days=1), "pause", "post", "as_written")
    ].events == 1
    assert await kept(app) == []
