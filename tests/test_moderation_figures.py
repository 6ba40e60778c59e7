"""The dashboard's moderation figures: reports per 1,000 posts, time to first action, outcomes."""

from __future__ import annotations

from server.models import ActionKind
from server.services import accounts, moderation, moderation_figures, reports
from tests.conftest import publish_due
from tests.test_admin import make_admin


async def test_reports_are_counted_timed_and_sorted_by_outcome(
    app, settings, clock, people
) -> None:
    for n in range(4):
        await people["ben"].post(f"Post number {n}")
    await publish_due(app, clock, 30)
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        ben = await accounts.local_actor(session, "ben")
        assert ana.id is not None and ben.id is not None
        first = await reports.file(
            session, settings, reporter_id=ana.id, target_id=ben.id, now=clock.now()
        )
        await reports.file(session, settings, reporter_id=ana.id, target_id=ben.id, now=clock.now())
    clock.advance(2 * 3600)
    async with app.state.sessions() as session:
        await moderation.act(
            session,
            settings,
            moderator_id=None,
            target_id=ben.id,
            kind=ActionKind.warn,
            reason="Mind the tone",
            report_id=first.id,
            now=clock.now(),
        )
        found = await moderation_figures.figures(session, clock.now())
    assert found.reports == 2 and found.posts == 4
    assert found.per_thousand_posts == 500.0
    assert found.hours_to_first_action == 2.0
    assert {s.name: s.count for s in found.outcomes if s.count} == {"warn": 1, "open": 1}
    admin = await make_admin(app, clock)
    page = await admin.get("/admin/dashboard")
    assert "2 reports (500.0 per 1,000 posts)" in page.text
    assert "median time to a moderator&#39;s first action: 2.0 hours" in page.text
    await admin.aclose()
