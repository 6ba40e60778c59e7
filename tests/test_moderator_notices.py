"""What moderators are told: a new report reaches them in their notifications, with a
link to it in the queue, and the person reported hears nothing of it."""

from __future__ import annotations

from sqlmodel import select

from server.models import ActionKind, Report
from server.services import accounts, moderation, mutes, notifications
from tests.conftest import publish_due
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


async def test_moderators_are_told_of_reports_from_people_they_mute_or_who_are_limited(
    app, clock, people
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await make_moderator(app, clock, "cleo")
    ana_id, ben_id = await actor_id(app, "ana"), await actor_id(app, "ben")
    async with app.state.sessions() as session:
        # Ana was limited earlier (the command line), and Cleo, who does not follow
        # her, muted her with her notifications: neither keeps Ana's report from Cleo.
        await moderation.act(
            session,
            app.state.settings,
            moderator_id=None,
            target_id=ana_id,
            kind=ActionKind.limit,
            reason="Spam links",
            now=clock.now(),
        )
        cleo_actor = await accounts.local_actor(session, "cleo")
        ana_actor = await accounts.local_actor(session, "ana")
        await mutes.mute(session, cleo_actor, ana_actor, clock.now(), notifications=True)
    assert "A new report" not in (await cleo.client.get("/notifications")).text
    sent = await send_report(ana, ben_id, category="other", comment="Ben was rude")
    assert sent.status_code == 303
    cleo_id = await actor_id(app, "cleo")
    async with app.state.sessions() as session:
        assert await notifications.unread_count(session, cleo_id) == 1
    told = (await cleo.client.get("/notifications")).text
    assert "A new report" in told and "about @ben is in the queue" in told
    # Ben's own notifications still keep Ana's limited mentions out (he does not follow her).
    await ana.post("@ben hello again")
    await publish_due(app, clock, 120)
    assert "hello again" not in (await ben.client.get("/notifications")).text
