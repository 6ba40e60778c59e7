"""Moderators share the queue and choose what to delete: a report can be given to another
moderator or let go, and "delete posts" deletes only the posts ticked."""

from __future__ import annotations

from sqlmodel import select

from server.models import ModerationAction, Report
from tests.conftest import csrf_from, publish_due
from tests.test_web_moderation import decide, make_moderator, reported
from tests.test_web_reports import actor_id, send_report


async def test_cleo_gives_a_report_to_ana_who_lets_it_go(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    await make_moderator(app, clock, "ana")  # the reporter moderates too, here
    cleo, ana = people["cleo"], people["ana"]
    page = f"/moderation/reports/{report_id}"
    shown = (await cleo.client.get(page)).text
    # The menu names the other moderators, never Cleo herself nor Ben, whom it is about.
    assert "Give it to" in shown and '<option value="' in shown and "@ana</option>" in shown
    assert "@cleo</option>" not in shown and "@ben</option>" not in shown
    ana_id = await actor_id(app, "ana")
    token = await csrf_from(cleo.client, page)
    given = await cleo.client.post(f"{page}/assign", data={"csrf_token": token, "to": str(ana_id)})
    assert given.status_code == 303
    assert "Taken by @ana." in (await cleo.client.get(page)).text
    assert "You have taken this report." in (await ana.client.get(page)).text
    async with app.state.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.assignee_id == ana_id

    token = await csrf_from(ana.client, page)
    let_go = await ana.client.post(f"{page}/assign", data={"csrf_token": token, "to": "nobody"})
    assert let_go.status_code == 303
    assert "taken by" not in (await ana.client.get("/moderation")).text.lower()
    async with app.state.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.assignee_id is None


async def test_a_report_goes_only_to_a_moderator_and_never_to_whom_it_is_about(
    app, clock, people
) -> None:
    report_id, _ = await reported(app, clock, people)
    cleo = people["cleo"]
    page = f"/moderation/reports/{report_id}"
    token = await csrf_from(cleo.client, page)
    ana_id, ben_id = await actor_id(app, "ana"), await actor_id(app, "ben")
    member = await cleo.client.post(f"{page}/assign", data={"csrf_token": token, "to": str(ana_id)})
    assert member.status_code == 400 and "Only moderators and admins" in member.text
    nonsense = await cleo.client.post(f"{page}/assign", data={"csrf_token": token, "to": "x"})
    assert nonsense.status_code == 400 and "Choose a moderator" in nonsense.text
    await make_moderator(app, clock, "ben")
    about = await cleo.client.post(f"{page}/assign", data={"csrf_token": token, "to": str(ben_id)})
    assert about.status_code == 422 and "give it to another moderator" in about.text
    async with app.state.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.assignee_id is None


async def test_cleo_deletes_only_the_post_she_ticks(app, clock, people) -> None:
    report_id, reply = await reported(app, clock, people)
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    async with app.state.sessions() as session:
        (first,) = (await session.exec(select(Report))).all()
    # Ana reports a second, milder post of Ben's along with the jab.
    mild = await ben.post("Bakeries should open earlier")
    await publish_due(app, clock, 120)
    ben_id = await actor_id(app, "ben")
    sent = await send_report(
        ana, ben_id, post=[str(reply), str(mild)], category="violation", rule="1", comment="Both"
    )
    assert sent.status_code == 303
    async with app.state.sessions() as session:
        second = (await session.exec(select(Report).where(Report.id != first.id))).one()
    page = (await cleo.client.get(f"/moderation/reports/{second.id}")).text
    assert page.count('name="post"') == 2 and "Posts to delete" in page

    none_ticked = await decide(cleo, second.id, kind="delete_posts", norm="rule:1", reason="Jab")
    assert none_ticked.status_code == 422 and "Tick the posts to delete." in none_ticked.text
    done = await decide(
        cleo, second.id, kind="delete_posts", norm="rule:1", reason="Jab", post=str(reply)
    )
    assert done.status_code == 303
    assert (await ana.client.get(f"/@ben/{reply}")).status_code == 404
    assert (await ana.client.get(f"/@ben/{mild}")).status_code == 200
    async with app.state.sessions() as session:
        (action,) = (await session.exec(select(ModerationAction))).all()
        assert action.post_ids == [reply] and action.report_id == second.id
