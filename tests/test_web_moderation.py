"""Moderators' pages: the queue, a report with its posts as reported, decisions citing a
norm, appeals, and what the reported member and the reporter each see."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from server.models import MemberRole, ModerationAction, Report
from server.services import audit, moderation, reports, roles
from tests.conftest import Person, csrf_from
from tests.test_admin import make_admin
from tests.test_web_reports import actor_id, harsh_reply, send_report

KIND_RULE = "Be kind. Disagree with ideas, not with people."


async def make_moderator(app, clock, name: str) -> None:
    async with app.state.sessions() as session:
        await roles.set_role(session, name, MemberRole.moderator, by_actor_id=None, now=clock.now())


async def reported(app, clock, people) -> tuple[int, int]:
    """Ben answers Ana harshly; Ana reports the reply citing the kindness rule; Cleo
    moderates. (report id, reply id)"""
    ana, ben = people["ana"], people["ben"]
    reply = await harsh_reply(app, clock, ana, ben)
    ben_id = await actor_id(app, "ben")
    sent = await send_report(
        ana, ben_id, post=str(reply), category="violation", rule="1", comment="Unkind to me"
    )
    assert sent.status_code == 303
    await make_moderator(app, clock, "cleo")
    async with app.state.sessions() as session:
        (report,) = (await session.exec(select(Report))).all()
        assert report.id is not None
        return report.id, reply


async def decide(person: Person, report_id: int, **fields: str):  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/moderation/reports/{report_id}")
    return await person.client.post(
        f"/moderation/reports/{report_id}/act", data={"csrf_token": token, **fields}
    )


async def test_the_queue_and_the_report_show_the_reply_as_ana_reported_it(
    app, clock, people
) -> None:
    report_id, reply = await reported(app, clock, people)
    ben, cleo = people["ben"], people["cleo"]
    # Ben edits the reply, then deletes it: moderators still read what Ana reported.
    token = await csrf_from(ben.client, f"/posts/{reply}/revise")
    edit = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
            (await ben.client.get(f"/posts/{reply}/revise")).text,
        )
    )
    edited = await ben.client.post(
        f"/posts/{reply}/revise", data={**edit, "text": "@ana fair enough, sorry"}
    )
    assert edited.status_code == 303
    await ben.client.post(f"/posts/{reply}/delete", data={"csrf_token": token})

    queue = await cleo.client.get("/moderation")
    assert queue.status_code == 200
    assert f'href="/moderation/reports/{report_id}"' in queue.text
    assert "@ben" in queue.text and "from @ana" in queue.text and KIND_RULE in queue.text
    page = await cleo.client.get(f"/moderation/reports/{report_id}")
    assert "what a silly take, honestly" in page.text
    assert "fair enough, sorry" not in page.text
    assert "deleted since" in page.text
    assert "Unkind to me" in page.text and 'href="/@ana"' in page.text  # moderators only
    # Cleo's navigation leads here; Ana's and Ben's does not.
    assert 'href="/moderation"' in (await cleo.client.get("/")).text
    assert 'href="/moderation"' not in (await ben.client.get("/")).text


async def test_the_queue_lists_open_reports_oldest_first(app, clock, people) -> None:
    first, _ = await reported(app, clock, people)
    ana_id = await actor_id(app, "ana")
    later = await send_report(people["ben"], ana_id, category="spam", comment="ads")
    assert later.status_code == 303
    queue = (await people["cleo"].client.get("/moderation")).text
    second = int(re.findall(r'href="/moderation/reports/(\d+)"', queue)[1])
    assert queue.index(f"/moderation/reports/{first}") < queue.index(
        f"/moderation/reports/{second}"
    )
    assert await decide(people["cleo"], first, kind="dismiss", norm="", reason="")
    queue = (await people["cleo"].client.get("/moderation")).text
    assert f"/moderation/reports/{first}" not in queue
    decided = (await people["cleo"].client.get("/moderation?state=resolved")).text
    assert f"/moderation/reports/{first}" in decided


async def test_cleo_warns_ben_citing_the_norm_and_each_side_is_told(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    warned = await decide(
        cleo, report_id, kind="warn", norm="rule:1", reason="Calling a take silly is a jab."
    )
    assert warned.status_code == 303
    assert "The report is resolved" in (await cleo.client.get("/moderation")).text

    # Ben reads the warning, with the norm and the reason, and can appeal it.
    told = (await ben.client.get("/notifications")).text
    assert "From the moderators" in told and f"“{KIND_RULE}”" in told
    assert "Calling a take silly is a jab." in told
    standing = (await ben.client.get("/settings/standing")).text
    assert "A warning" in standing and KIND_RULE in standing
    assert "Appeal: why should this change?" in standing
    # Nothing Ben sees names Ana or quotes her report.
    for page in (told, standing):
        assert "@ana" not in page and "Unkind to me" not in page and ">ana<" not in page

    # Ana hears that moderators acted, and nothing more about Ben.
    outcome = (await ana.client.get("/notifications")).text
    assert "Moderators reviewed your report and took action." in outcome
    assert "Calling a take silly" not in outcome
    assert "decided" in (await ana.client.get("/reports")).text


async def test_a_refused_decision_says_why_and_keeps_the_choices(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    cleo = people["cleo"]
    refused = await decide(cleo, report_id, kind="warn", norm="rule:1", reason="")
    assert refused.status_code == 422
    assert "Give a reason: the member reads it" in refused.text
    assert '<option value="rule:1" selected>' in refused.text
    unknown = await decide(cleo, report_id, kind="warn", norm="rule:99", reason="jab")
    assert unknown.status_code == 422 and "There is no rule 99" in unknown.text
    assert ">jab</textarea>" in unknown.text
    async with app.state.sessions() as session:
        assert (await session.exec(select(ModerationAction))).all() == []
        report = await session.get(Report, report_id)
        assert report is not None and report.state == "open"


async def test_moderators_take_reports_keep_notes_and_reopen(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    cleo = people["cleo"]
    page = f"/moderation/reports/{report_id}"
    token = await csrf_from(cleo.client, page)
    taken = await cleo.client.post(f"{page}/assign", data={"csrf_token": token, "to": "me"})
    assert taken.status_code == 303
    assert "You have taken this report." in (await cleo.client.get(page)).text
    assert "taken by @cleo" in (await cleo.client.get("/moderation")).text
    noted = await cleo.client.post(
        f"{page}/note", data={"csrf_token": token, "note": "Second jab this week."}
    )
    assert noted.status_code == 303
    assert "Second jab this week." in (await cleo.client.get(page)).text
    empty = await cleo.client.post(f"{page}/note", data={"csrf_token": token, "note": ""})
    assert empty.status_code == 422 and "Write the note first." in empty.text
    # Ben never sees moderators' notes.
    assert "Second jab" not in (await people["ben"].client.get("/settings/standing")).text

    await decide(cleo, report_id, kind="dismiss", norm="", reason="")
    reopened = await cleo.client.post(f"{page}/reopen", data={"csrf_token": token})
    assert reopened.status_code == 303
    assert f"/moderation/reports/{report_id}" in (await cleo.client.get("/moderation")).text
    again = await cleo.client.post(f"{page}/reopen", data={"csrf_token": token})
    assert again.status_code == 409 and "open already" in again.text


async def test_an_admin_reads_and_searches_the_audit_log(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    await decide(people["cleo"], report_id, kind="warn", norm="rule:1", reason="A jab.")
    admin = await make_admin(app, clock)
    log = await admin.get("/admin/audit")
    assert log.status_code == 200
    assert "@cleo" in log.text and "warned" in log.text and "@ben" in log.text
    assert "under rules.text" in log.text and "A jab." in log.text
    # Newest first: the report's resolution was recorded after the warning.
    assert log.text.index("resolved a report") < log.text.index("warned")
    by_kind = (await admin.get("/admin/audit?verb=action.warn")).text
    assert "warned" in by_kind and "resolved a report" not in by_kind
    # An account matches what they did and what was done to them.
    by_person = (await admin.get("/admin/audit?q=@cleo")).text
    assert "warned" in by_person and "changed the role of" in by_person  # Cleo made a moderator
    assert "changed the role of" not in (await admin.get("/admin/audit?q=@ben")).text
    assert "Nothing matches." in (await admin.get("/admin/audit?q=nobody_here")).text
    assert (await admin.get("/admin/audit?verb=drop")).status_code == 400
    await admin.aclose()


async def test_the_audit_log_pages_back_fifty_at_a_time(app, clock, people) -> None:
    async with app.state.sessions() as session:
        for n in range(60):
            audit.record(
                session, actor_id=None, verb="note.add", detail=f"entry {n}", now=clock.now()
            )
        await session.commit()
    admin = await make_admin(app, clock)
    first = (await admin.get("/admin/audit?verb=note.add")).text
    assert shown(first, 59) and shown(first, 10) and not shown(first, 9)
    older = re.search(r'href="(/admin/audit\?[^"]+)">Older entries', first)
    assert older is not None
    second = (await admin.get(older.group(1).replace("&amp;", "&"))).text
    assert shown(second, 9) and shown(second, 0) and not shown(second, 10)
    assert "Older entries" not in second
    await admin.aclose()


def shown(page: str, entry: int) -> bool:
    return re.search(rf"\bentry {entry}\b", page) is not None


MODERATOR_PAGES = ["/moderation", "/moderation?state=resolved", "/moderation/reports/{r}"]
MODERATOR_FORMS = [
    "/moderation/reports/{r}/act",
    "/moderation/reports/{r}/assign",
    "/moderation/reports/{r}/reopen",
    "/moderation/reports/{r}/forward",
    "/moderation/reports/{r}/note",
    "/moderation/appeals/1",
]


async def test_members_are_refused_every_moderator_page_and_form(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    ana = people["ana"]
    token = await csrf_from(ana.client, "/compose")
    for path in MODERATOR_PAGES:
        response = await ana.client.get(path.format(r=report_id))
        assert response.status_code == 403, path
        assert "Only moderators and admins" in response.text
    for path in MODERATOR_FORMS:
        response = await ana.client.post(
            path.format(r=report_id),
            data={"csrf_token": token, "kind": "suspend", "reason": "x", "decision": "approve"},
        )
        assert response.status_code == 403, path
    # Moderators handle reports but do not read the audit log, nor admins' pages.
    cleo = people["cleo"]
    assert (await cleo.client.get("/admin/audit")).status_code == 403
    assert (await cleo.client.get("/admin/members")).status_code == 403
    assert (await ana.client.get("/admin/audit")).status_code == 403
    async with app.state.sessions() as session:
        assert (await session.exec(select(ModerationAction))).all() == []


@pytest.mark.parametrize("path", [*MODERATOR_FORMS, "/settings/standing/1/appeal"])
async def test_every_moderation_form_needs_the_pages_token(app, clock, people, path) -> None:
    report_id, _ = await reported(app, clock, people)
    response = await people["cleo"].client.post(
        path.format(r=report_id), data={"kind": "suspend", "reason": "x", "decision": "approve"}
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    async with app.state.sessions() as session:
        assert (await session.exec(select(ModerationAction))).all() == []
        report = await session.get(Report, report_id)
        assert report is not None and report.assignee_id is None and report.state == "open"


async def test_visitors_are_sent_to_log_in(app, visitor) -> None:
    for path in ("/moderation", "/moderation/reports/1", "/settings/standing", "/admin/audit"):
        response = await visitor.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_report_that_does_not_exist_is_a_404(app, clock, people) -> None:
    await make_moderator(app, clock, "cleo")
    assert (await people["cleo"].client.get("/moderation/reports/424242")).status_code == 404
    assert (await people["cleo"].client.get("/moderation/reports/nope")).status_code == 404


async def test_a_report_from_another_server_shows_the_server_not_a_person(
    app, clock, people
) -> None:
    await make_moderator(app, clock, "cleo")
    ben_id = await actor_id(app, "ben")
    async with app.state.sessions() as session:
        flagged = await reports.receive_flag(
            session,
            app.state.settings,
            origin_domain="mastodon.example",
            sender_id=None,
            uri="https://mastodon.example/flags/1",
            target_id=ben_id,
            post_ids=[],
            comment="<script>alert('spam')</script> from our side",
            now=clock.now(),
        )
    queue = (await people["cleo"].client.get("/moderation")).text
    assert "from mastodon.example" in queue
    page = (await people["cleo"].client.get(f"/moderation/reports/{flagged.id}")).text
    assert "sent by the server mastodon.example" in page
    # What another server wrote is shown as text, never run as markup.
    assert "&lt;script&gt;alert(&#39;spam&#39;)&lt;/script&gt; from our side" in page
    assert "<script>alert" not in page
    assert "Send it to" not in page  # a Flag is not sent back


async def test_deleting_the_reported_posts_from_the_report_page(app, clock, people) -> None:
    report_id, reply = await reported(app, clock, people)
    page = (await people["cleo"].client.get(f"/moderation/reports/{report_id}")).text
    assert f'name="post" value="{reply}" checked' in page  # ticked unless the moderator unticks
    done = await decide(
        people["cleo"], report_id, kind="delete_posts", norm="rule:1", reason="Jab", post=str(reply)
    )
    assert done.status_code == 303
    assert (await people["ana"].client.get(f"/@ben/{reply}")).status_code == 404
    page = (await people["cleo"].client.get(f"/moderation/reports/{report_id}")).text
    assert "what a silly take, honestly" in page and "deleted since" in page
    standing = (await people["ben"].client.get("/settings/standing")).text
    assert "Some of your posts were removed" in standing


async def test_a_moderator_reported_never_learns_by_whom_nor_decides_it(app, clock, people) -> None:
    await make_moderator(app, clock, "cleo")
    cleo_id = await actor_id(app, "cleo")
    sent = await send_report(people["ben"], cleo_id, category="other", comment="Cleo was curt")
    assert sent.status_code == 303
    async with app.state.sessions() as session:
        (report,) = (await session.exec(select(Report))).all()
    cleo = people["cleo"]
    queue = (await cleo.client.get("/moderation")).text
    assert "A report about you" in queue
    assert "@ben" not in queue and f"/moderation/reports/{report.id}" not in queue
    page = await cleo.client.get(f"/moderation/reports/{report.id}")
    assert page.status_code == 403 and "Cleo was curt" not in page.text
    token = await csrf_from(cleo.client, "/moderation")
    for form in ("act", "assign", "reopen", "forward", "note"):
        refused = await cleo.client.post(
            f"/moderation/reports/{report.id}/{form}",
            data={"csrf_token": token, "kind": "dismiss", "to": "me", "note": "fine"},
        )
        assert refused.status_code == 403, form
    # Another moderator reads it and decides.
    await make_moderator(app, clock, "ana")
    other = (await people["ana"].client.get(f"/moderation/reports/{report.id}")).text
    assert "Cleo was curt" in other and 'href="/@ben"' in other
    async with app.state.sessions() as session:
        again = await session.get(Report, report.id)
        assert again is not None and again.state == "open" and again.assignee_id is None


async def test_only_admins_act_on_moderators_and_the_page_says_so(app, clock, people) -> None:
    await make_moderator(app, clock, "cleo")
    await make_moderator(app, clock, "ben")
    sent = await send_report(people["ana"], await actor_id(app, "ben"), category="spam")
    assert sent.status_code == 303
    async with app.state.sessions() as session:
        (report,) = (await session.exec(select(Report))).all()
    assert report.id is not None
    refused = await decide(people["cleo"], report.id, kind="warn", norm="rule:1", reason="Ads")
    assert refused.status_code == 403
    assert "Only admins can act on moderators and admins." in refused.text
    assert ">Ads</textarea>" in refused.text


async def test_the_queue_pages_fifty_reports_at_a_time(app, clock, people) -> None:
    await make_moderator(app, clock, "cleo")
    ben_id = await actor_id(app, "ben")
    async with app.state.sessions() as session:
        flagged = [
            # Two servers: one server's Flags a day are bounded (reports.flags_per_day).
            await reports.receive_flag(
                session,
                app.state.settings,
                origin_domain=f"mastodon{n % 2}.example",
                sender_id=None,
                uri=f"https://mastodon{n % 2}.example/flags/{n}",
                target_id=ben_id,
                post_ids=[],
                comment=f"flag {n}",
                now=clock.now(),
            )
            for n in range(55)
        ]
    ids = [r.id for r in flagged]
    cleo = people["cleo"].client
    first = (await cleo.get("/moderation")).text
    listed = [int(i) for i in re.findall(r'href="/moderation/reports/(\d+)"', first)]
    assert listed == ids[:50]  # the oldest first
    later = re.search(r'href="(/moderation\?after=\d+)">Later reports', first)
    assert later is not None
    rest = (await cleo.get(later.group(1))).text
    assert [int(i) for i in re.findall(r'href="/moderation/reports/(\d+)"', rest)] == ids[50:]
    assert "Later reports" not in rest

    async with app.state.sessions() as session:
        for report_id in ids:
            assert report_id is not None
            await moderation.resolve(session, report_id, moderator_id=None, now=clock.now())
    decided = (await cleo.get("/moderation?state=resolved")).text
    newest = [int(i) for i in re.findall(r'href="/moderation/reports/(\d+)"', decided)]
    assert newest == ids[::-1][:50]
    older = re.search(r'href="(/moderation\?state=resolved&amp;before=\d+)">Older', decided)
    assert older is not None
    oldest = (await cleo.get(older.group(1).replace("&amp;", "&"))).text
    assert [int(i) for i in re.findall(r'href="/moderation/reports/(\d+)"', oldest)] == ids[4::-1]
