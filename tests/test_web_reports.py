"""Members report an account from the web: the form, its refusals, and their own reports."""

from __future__ import annotations

import re

from sqlmodel import select

from server.models import Actor, OutboxItem, Report, ReportedPost
from server.services import accounts, norms
from tests.conftest import Person, csrf_from, publish_due


async def actor_id(app, name: str) -> int:
    async with app.state.sessions() as session:
        actor = await accounts.local_actor(session, name)
        assert actor.id is not None
        return actor.id


async def harsh_reply(app, clock, ana: Person, ben: Person) -> int:
    """Ana posts; Ben answers harshly. The reply's id."""
    post = await ana.post("I tried the new bakery on Elm Street")
    await publish_due(app, clock, 30)
    reply = await ben.post("@ana what a silly take, honestly", reply_to=post)
    await publish_due(app, clock, 120)
    return reply


async def report_form(person: Person, account: int, post: int | None = None) -> str:
    query = f"account={account}" + (f"&post={post}" if post is not None else "")
    response = await person.client.get(f"/report?{query}")
    assert response.status_code == 200, response.text
    return response.text


async def send_report(person: Person, account: int, **fields: object):  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/report?account={account}")
    data: dict[str, object] = {"csrf_token": token, "account": str(account), **fields}
    return await person.client.post("/report", data=data)  # type: ignore[arg-type]


async def reports_in(app) -> list[Report]:
    async with app.state.sessions() as session:
        return list((await session.exec(select(Report))).all())


async def test_ana_reports_bens_harsh_reply_citing_a_norm(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    reply = await harsh_reply(app, clock, ana, ben)
    ben_id = await actor_id(app, "ben")

    page = await report_form(ana, ben_id, reply)
    assert "Report @ben" in page
    # The reply she came from is chosen; the community's norms are listed to cite.
    assert re.search(rf'name="post" value="{reply}" checked', page)
    assert "Be kind. Disagree with ideas, not with people." in page
    assert "It breaks a community norm" in page

    sent = await send_report(
        ana, ben_id, post=str(reply), category="violation", rule="1", comment="Unkind to me"
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/reports"
    mine = await ana.client.get("/reports")
    assert "Moderators will read your report about @ben" in mine.text
    assert "waiting for a moderator" in mine.text

    (report,) = await reports_in(app)
    assert report.target_id == ben_id and report.comment == "Unkind to me"
    assert report.rules_cited == ["Be kind. Disagree with ideas, not with people."]
    async with app.state.sessions() as session:
        (kept,) = (await session.exec(select(ReportedPost))).all()
        assert kept.post_id == reply and "what a silly take" in kept.content_html


async def test_a_refused_report_says_why_and_keeps_what_ana_wrote(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    reply = await harsh_reply(app, clock, ana, ben)
    ben_id = await actor_id(app, "ben")

    too_long = "It hurt. " * 120
    refused = await send_report(
        ana, ben_id, post=str(reply), category="violation", rule="1", comment=too_long
    )
    assert refused.status_code == 422
    assert "Keep the comment to 1000 characters" in refused.text
    assert too_long.strip() in refused.text  # what she typed is still there
    assert re.search(rf'name="post" value="{reply}" checked', refused.text)

    no_rule = await send_report(ana, ben_id, category="violation", comment="Rude")
    assert no_rule.status_code == 422
    assert "Say which of the community&#39;s rules it breaks." in no_rule.text
    assert ">Rude</textarea>" in no_rule.text
    assert await reports_in(app) == []  # nothing half-made


async def test_ana_cannot_report_herself(app, people) -> None:
    ana = people["ana"]
    ana_id = await actor_id(app, "ana")
    page = await ana.client.get(f"/report?account={ana_id}")
    assert page.status_code == 422 and "You cannot report yourself." in page.text
    token = await csrf_from(ana.client, "/compose")
    sent = await ana.client.post(
        "/report", data={"csrf_token": token, "account": str(ana_id), "category": "other"}
    )
    assert sent.status_code == 422 and "You cannot report yourself." in sent.text
    assert await reports_in(app) == []


async def test_reports_beyond_the_days_norm_wait_until_tomorrow(
    app, settings, clock, people
) -> None:
    ana = people["ana"]
    ben_id, cleo_id = await actor_id(app, "ben"), await actor_id(app, "cleo")
    async with app.state.sessions() as session:
        await norms.change(
            session, settings, "reports.per_day", "1", reason="", actor_id=None, now=clock.now()
        )
    assert (await send_report(ana, ben_id, category="other", comment="one")).status_code == 303
    second = await send_report(ana, cleo_id, category="spam", comment="two")
    assert second.status_code == 429
    assert second.headers["retry-after"] == str(24 * 3600)
    assert "you can report more tomorrow" in second.text
    assert ">two</textarea>" in second.text
    clock.advance(24 * 3600 + 1)
    assert (await send_report(ana, cleo_id, category="spam", comment="two")).status_code == 303


async def test_the_form_offers_only_posts_ana_may_see(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    public = await ben.post("Morning, street")
    private = await ben.post("Only for my followers", visibility="followers")
    await publish_due(app, clock, 30)
    waiting = await ben.post("Still in its pause")
    ben_id = await actor_id(app, "ben")

    page = await report_form(ana, ben_id, post=private)
    assert f'value="{public}"' in page
    assert "Only for my followers" not in page and f'value="{private}"' not in page
    assert "Still in its pause" not in page and f'value="{waiting}"' not in page
    # A post id she cannot see, sent by hand, is refused and stores nothing.
    forged = await send_report(ana, ben_id, post=str(private), category="other")
    assert forged.status_code == 422
    assert "is not one of @ben&#39;s posts you can see" in forged.text
    assert await reports_in(app) == []


async def test_reporting_someone_elsewhere_can_go_to_their_server_anonymously(
    app, clock, people
) -> None:
    ana = people["ana"]
    async with app.state.sessions() as session:
        dave = Actor(
            username="dave",
            domain="elsewhere.example",
            acct_key="dave@elsewhere.example",
            uri="https://elsewhere.example/users/dave",
            inbox_url="https://elsewhere.example/users/dave/inbox",
        )
        session.add(dave)
        await session.commit()
        assert dave.id is not None
        dave_id = dave.id
    page = await report_form(ana, dave_id)
    assert "Also send it to elsewhere.example" in page
    assert "sent anonymously from this community: your name is not sent" in page
    # A member here has no server to send it to: no such choice.
    assert "Also send it to" not in await report_form(ana, await actor_id(app, "ben"))

    sent = await send_report(ana, dave_id, category="spam", forward="on")
    assert sent.status_code == 303
    (report,) = await reports_in(app)
    assert report.forward and report.forwarded_at == clock.now()
    async with app.state.sessions() as session:
        flags = (await session.exec(select(OutboxItem))).all()
        assert [str(r.kind) for r in flags] == ["flag"]


async def test_the_report_pages_need_a_member_and_the_form_a_token(app, people, visitor) -> None:
    ben_id = await actor_id(app, "ben")
    away = await visitor.get(f"/report?account={ben_id}")
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
    assert (await visitor.get("/reports")).status_code == 303
    forged = await people["ana"].client.post(
        "/report", data={"account": str(ben_id), "category": "other"}
    )
    assert forged.status_code == 403 and "did not come from this site" in forged.text
    assert (await people["ana"].client.get("/report")).status_code == 400
    assert (await people["ana"].client.get("/report?account=999999")).status_code == 404
    assert await reports_in(app) == []


async def test_what_ben_wrote_is_offered_as_text_never_as_markup(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.post("<img src=x onerror=alert(1)> hello")
    await publish_due(app, clock, 30)
    page = await report_form(ana, await actor_id(app, "ben"))
    assert "&lt;img src=x onerror=alert(1)&gt; hello" in page
    assert "<img src=x" not in page
