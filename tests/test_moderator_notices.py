"""What moderators are told: a new report reaches them in their notifications, with a
link to it in the queue, and the person reported hears nothing of it."""

from __future__ import annotations

from sqlmodel import select

from server.models import Report
from tests.test_web_moderation import make_moderator
from tests.test_web_reports import actor_id, harsh_reply, send_report


async def test_a_moderator_reads_of_a_new_report_and_opens_it_from_notifications(
    app, clock, people
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await make_moderator(app, clock, "cleo")
    reply = await harsh_reply(app, clock, ana, ben)
    sent = await send_report(
        ana, await actor_id(app, "ben"), post=str(reply), category="spam", comment="Unkind"
    )
    assert sent.status_code == 303
    async with app.state.sessions() as session:
        (report,) = (await session.exec(select(Report))).all()
    told = (await cleo.client.get("/notifications")).text
    assert "A new report" in told and "about @ben is in the queue" in told
    assert f'href="/moderation/reports/{report.id}"' in told
    # Ben, reported, hears nothing of it.
    assert "A new report" not in (await ben.client.get("/notifications")).text
