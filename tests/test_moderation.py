"""Reports and moderation: a member reports, a moderator acts citing a norm, people are told."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from server.models import (
    ActionKind,
    Actor,
    AuditEntry,
    MemberRole,
    ModerationAction,
    NoticeKind,
    Report,
    ReportState,
)
from server.services import (
    accounts,
    appeals,
    audit,
    moderation,
    moderation_notices,
    norms,
    report_files,
    reports,
    roles,
)
from server.services.errors import Conflict, Forbidden, Invalid, RateLimited
from tests.conftest import publish_due


async def ids(app, *names: str) -> list[int]:
    async with app.state.sessions() as session:
        found = []
        for name in names:
            actor = await accounts.local_actor(session, name)
            assert actor.id is not None
            found.append(actor.id)
        return found


async def make_moderator(app, clock, name: str) -> None:
    async with app.state.sessions() as session:
        await roles.set_role(session, name, MemberRole.moderator, by_actor_id=None, now=clock.now())


async def test_ana_reports_a_harsh_reply_and_the_report_keeps_it_as_written(
    app, settings, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await ana.post("I tried the new bakery")
    await publish_due(app, clock, 30)
    reply = await ben.post("@ana what a silly take", reply_to=post)
    await publish_due(app, clock, 60)
    ana_id, ben_id = await ids(app, "ana", "ben")
    async with app.state.sessions() as session:
        report = await reports.file(
            session,
            settings,
            reporter_id=ana_id,
            target_id=ben_id,
            post_ids=[reply],
            comment="This is rude",
            rule_ids=["1"],
            now=clock.now(),
        )
        assert report.category == "violation"
        assert report.rules_cited == ["Be kind. Disagree with ideas, not with people."]
    # Ben deletes the reply: the report still shows it as it read.
    token = await ben.token(f"/@ben/{reply}")
    await ben.client.post(f"/posts/{reply}/delete", data={"csrf_token": token})
    async with app.state.sessions() as session:
        shown = await report_files.show(session, report.id)
        assert "what a silly take" in shown.posts[0].content_html
        assert shown.reporter is not None and shown.reporter.username == "ana"
        queue = await report_files.listing(session)
        assert [s.report.id for s in queue] == [report.id]


async def test_reports_refuse_oneself_long_comments_and_others_posts(
    app, settings, clock, people
) -> None:
    cleo = people["cleo"]
    cleos = await cleo.post("Cleo's own words")
    await publish_due(app, clock, 30)
    ana_id, ben_id = await ids(app, "ana", "ben")
    cases = [
        (ana_id, [], "", "You cannot report yourself."),
        (ben_id, [], "x" * 1001, "Keep the comment to 1000 characters"),
        (ben_id, [cleos], "", f"Post {cleos} is not one of @ben's posts"),
    ]
    async with app.state.sessions() as session:
        for target, posts, comment, message in cases:
            with pytest.raises(Invalid, match=message):
                await reports.file(
                    session,
                    settings,
                    reporter_id=ana_id,
                    target_id=target,
                    post_ids=posts,
                    comment=comment,
                    now=clock.now(),
                )
            await session.rollback()
        with pytest.raises(Invalid, match="Say which of the community's rules"):
            await reports.file(
                session,
                settings,
                reporter_id=ana_id,
                target_id=ben_id,
                category="violation",
                now=clock.now(),
            )
        await session.rollback()
        count = await session.exec(select(func.count()).select_from(Report))
        assert count.one() == 0


async def test_reports_are_limited_per_day_by_a_norm(app, settings, clock, people) -> None:
    ana_id, ben_id = await ids(app, "ana", "ben")
    async with app.state.sessions() as session:
        await norms.change(
            session, settings, "reports.per_day", "2", reason="test", actor_id=None, now=clock.now()
        )
        for _ in range(2):
            await reports.file(
                session, settings, reporter_id=ana_id, target_id=ben_id, now=clock.now()
            )
        with pytest.raises(RateLimited):
            await reports.file(
                session, settings, reporter_id=ana_id, target_id=ben_id, now=clock.now()
            )
    clock.advance(24 * 3600 + 1)
    async with app.state.sessions() as session:
        await reports.file(session, settings, reporter_id=ana_id, target_id=ben_id, now=clock.now())


async def test_a_warning_cites_the_norm_tells_both_and_is_appealed_once(
    app, settings, clock, people
) -> None:
    await make_moderator(app, clock, "cleo")
    ana_id, ben_id, cleo_id = await ids(app, "ana", "ben", "cleo")
    async with app.state.sessions() as session:
        report = await reports.file(
            session, settings, reporter_id=ana_id, target_id=ben_id, rule_ids=["1"], now=clock.now()
        )
        action = await moderation.act(
            session,
            settings,
            moderator_id=cleo_id,
            target_id=ben_id,
            kind=ActionKind.warn,
            reason="Name-calling in a reply",
            report_id=report.id,
            rule_id="1",
            now=clock.now(),
        )
        assert action.norm_key == "rules.text" and action.norm_version == 0
        assert action.norm_text.startswith("Be kind.")
        await session.refresh(report)
        assert report.state == ReportState.resolved
        told_ben = await moderation_notices.for_member(session, ben_id)
        assert told_ben[0].kind == NoticeKind.warning and "Be kind." in told_ben[0].text
        assert "ana" not in told_ben[0].text.lower()  # never who reported
        told_ana = await moderation_notices.for_member(session, ana_id)
        assert told_ana[0].kind == NoticeKind.report_outcome
        assert "took action" in told_ana[0].text and "ben" not in told_ana[0].text
        # Ben appeals, once.
        made = await appeals.appeal(
            session, appellant_id=ben_id, action_id=action.id, text="I was joking", now=clock.now()
        )
        with pytest.raises(Conflict):
            await appeals.appeal(
                session, appellant_id=ben_id, action_id=action.id, text="Again", now=clock.now()
            )
        await session.rollback()
        assert [v.appeal.id for v in await appeals.pending(session)] == [made.id]
        decided = await appeals.decide(
            session,
            moderator_id=cleo_id,
            appeal_id=made.id,
            approve=False,
            outcome="It read as an insult.",
            now=clock.now(),
        )
        assert decided.state == "rejected"
        assert (await moderation_notices.for_member(session, ben_id))[0].kind == (
            NoticeKind.appeal_outcome
        )
        verbs = [v.entry.verb for v in await audit.search(session)]
        assert verbs == [
            "appeal.reject",
            "appeal.file",
            "report.resolve",
            "action.warn",
            "role.set",
        ]
        assert [v.entry.verb for v in await audit.search(session, text="ben")] == verbs[:4]


async def test_a_limited_members_posts_leave_public_timelines_until_the_appeal_is_granted(
    app, settings, clock, people, visitor
) -> None:
    ben = people["ben"]
    await ben.post("Loud opinions for everyone")
    await publish_due(app, clock, 30)
    assert "Loud opinions" in (await visitor.get("/local")).text
    (ben_id,) = await ids(app, "ben")
    async with app.state.sessions() as session:
        action = await moderation.act(
            session,
            settings,
            moderator_id=None,
            target_id=ben_id,
            kind=ActionKind.limit,
            reason="Keeps shouting",
            now=clock.now(),
        )
    assert "Loud opinions" not in (await visitor.get("/local")).text
    assert "Loud opinions" in (await visitor.get("/@ben")).text  # still on his profile
    async with app.state.sessions() as session:
        made = await appeals.appeal(
            session, appellant_id=ben_id, action_id=action.id, text="Please", now=clock.now()
        )
        await appeals.decide(
            session, moderator_id=None, appeal_id=made.id, approve=True, outcome="", now=clock.now()
        )
    assert "Loud opinions" in (await visitor.get("/local")).text


async def test_a_suspended_member_loses_access_and_moderators_cannot_change_roles(
    app, settings, clock, people, visitor
) -> None:
    ben = people["ben"]
    await ben.post("Ben was here")
    await publish_due(app, clock, 30)
    await make_moderator(app, clock, "cleo")
    ben_id, cleo_id = await ids(app, "ben", "cleo")
    async with app.state.sessions() as session:
        await moderation.act(
            session,
            settings,
            moderator_id=cleo_id,
            target_id=ben_id,
            kind=ActionKind.suspend,
            reason="Threats",
            now=clock.now(),
        )
        assert await moderation.standing(session, ben_id) == "suspended"
        kinds = (await session.exec(select(ModerationAction.kind))).all()
        assert kinds == ["suspend"]
        assert (await session.exec(select(func.count()).select_from(AuditEntry))).one() == 2
    assert "Ben was here" not in (await visitor.get("/local")).text
    assert (await ben.client.get("/compose")).status_code in (302, 303, 401)
    # Cleo, a moderator, does not reach the norms or the members' roles.
    assert (await people["cleo"].client.get("/admin/norms")).status_code == 403
    assert (await people["cleo"].client.get("/admin/members")).status_code == 403


async def test_the_last_admin_keeps_the_role(app, clock, people) -> None:
    async with app.state.sessions() as session:
        await roles.set_role(session, "ana", MemberRole.admin, by_actor_id=None, now=clock.now())
        with pytest.raises(Conflict, match="last admin"):
            await roles.set_role(
                session, "ana", MemberRole.member, by_actor_id=None, now=clock.now()
            )
        actor = (await session.exec(select(Actor).where(Actor.username == "ana"))).one()
        assert actor.limited_at is None


async def test_a_moderator_can_slow_a_thread_down_as_admins_can(app, clock, people) -> None:
    ana, cleo = people["ana"], people["cleo"]
    root = await ana.post("A thread that may run hot")
    await publish_due(app, clock, 31)
    assert "Slow this thread down" not in (await cleo.client.get(f"/@ana/{root}")).text
    await make_moderator(app, clock, "cleo")
    page = await cleo.client.get(f"/@ana/{root}")
    assert "Slow this thread down" in page.text
    token = await cleo.token(f"/@ana/{root}")
    turned = await cleo.client.post(
        f"/threads/{root}/slow_mode", data={"on": "on", "csrf_token": token}
    )
    assert turned.status_code == 303


async def test_only_moderators_act_and_only_admins_act_on_moderators(
    app, settings, clock, people
) -> None:
    await make_moderator(app, clock, "cleo")
    ana_id, ben_id, cleo_id = await ids(app, "ana", "ben", "cleo")
    async with app.state.sessions() as session:
        with pytest.raises(Forbidden, match="Only moderators and admins"):
            await moderation.act(
                session,
                settings,
                moderator_id=ana_id,
                target_id=ben_id,
                kind=ActionKind.warn,
                reason="Ana is not a moderator",
                now=clock.now(),
            )
        await roles.set_role(session, "ben", MemberRole.admin, by_actor_id=None, now=clock.now())
        with pytest.raises(Forbidden, match="Only admins can act on moderators"):
            await moderation.act(
                session,
                settings,
                moderator_id=cleo_id,
                target_id=ben_id,
                kind=ActionKind.suspend,
                reason="A moderator suspending an admin",
                now=clock.now(),
            )
        # Ben, an admin, may warn Cleo, a moderator.
        await moderation.act(
            session,
            settings,
            moderator_id=ben_id,
            target_id=cleo_id,
            kind=ActionKind.warn,
            reason="Mind the tone in the queue",
            now=clock.now(),
        )
        kinds = (await session.exec(select(ModerationAction.kind))).all()
        assert kinds == ["warn"]


async def test_a_post_the_reporter_cannot_see_cannot_be_reported(
    app, settings, clock, people
) -> None:
    ben = people["ben"]
    hidden = await ben.post("For my followers only", visibility="followers")
    await publish_due(app, clock, 30)
    ana_id, ben_id = await ids(app, "ana", "ben")
    async with app.state.sessions() as session:
        with pytest.raises(Invalid, match=f"Post {hidden} is not one of @ben's posts you can see"):
            await reports.file(
                session,
                settings,
                reporter_id=ana_id,
                target_id=ben_id,
                post_ids=[hidden],
                now=clock.now(),
            )
