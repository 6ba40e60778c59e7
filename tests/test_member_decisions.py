"""Root Ana decides about members from the members page: each decision is confirmed on
its own page, with a reason that is kept, and the member it is about reads it."""

from __future__ import annotations

import html

from sqlmodel import col, select

from server.config import RegistrationMode
from server.models import AuditEntry, Member, ModerationAction
from tests.conftest import client_for, csrf_from
from tests.test_admin import make_admin
from tests.test_auth import log_in, sign_up


async def _decide(admin, username: str, action: str, reason: str = ""):  # type: ignore[no-untyped-def]
    token = await csrf_from(admin, f"/admin/members/{username}/{action}")
    return await admin.post(
        f"/admin/members/{username}/{action}", data={"reason": reason, "csrf_token": token}
    )


async def test_suspending_asks_to_confirm_and_for_a_reason(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    members = (await admin.get("/admin/members")).text
    assert 'href="/admin/members/ben/suspend"' in members
    assert 'action="/admin/members/ben/suspend"' not in members  # no one-click suspension
    confirm = await admin.get("/admin/members/ben/suspend")
    assert confirm.status_code == 200
    page = html.unescape(confirm.text)
    assert "Suspend @ben?" in page and "logged out everywhere" in page
    assert '<textarea id="reason" name="reason"' in page and "required" in page

    refused = await _decide(admin, "ben", "suspend", "   ")
    assert refused.status_code == 422
    assert "Give a reason" in refused.text and 'aria-invalid="true"' in refused.text
    async with app.state.sessions() as session:
        ben = (await session.exec(select(Member).where(Member.email == "ben@example.com"))).one()
        assert ben.state == "active"
    await admin.aclose()


async def test_a_suspended_member_who_logs_in_reads_why(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    done = await _decide(admin, "ben", "suspend", "Three warnings about insults this month")
    assert done.status_code == 303
    async with app.state.sessions() as session:
        [action] = (await session.exec(select(ModerationAction))).all()
        assert action.kind == "suspend" and action.reason.startswith("Three warnings")
        entries = (await session.exec(select(AuditEntry.verb, AuditEntry.detail))).all()
        assert ("action.suspend", "Three warnings about insults this month") in entries
    async with client_for(app) as ben:
        answer = await log_in(ben, "ben")
        assert answer.status_code == 303 and answer.headers["location"] == "/suspended"
        page = html.unescape((await ben.get("/suspended")).text)
    assert "Your account is suspended" in page
    assert "The moderators' reason: Three warnings about insults this month" in page
    assert "Send the appeal" in page
    await admin.aclose()


async def test_reinstating_lifts_the_suspension_and_keeps_the_reason(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    await _decide(admin, "ben", "suspend", "Spam links")
    done = await _decide(admin, "ben", "reinstate", "He explained; the links were his shop")
    assert done.status_code == 303
    async with app.state.sessions() as session:
        [action] = (await session.exec(select(ModerationAction))).all()
        assert action.lifted_at is not None
        entry = (
            await session.exec(select(AuditEntry).where(col(AuditEntry.verb) == "member.reinstate"))
        ).one()
        assert entry.detail == "He explained; the links were his shop"
    async with client_for(app) as ben:
        assert (await log_in(ben, "ben")).headers["location"] == "/"
    await admin.aclose()


async def test_a_rejected_sign_up_is_told_the_reason_after_giving_the_password(
    app, settings, clock, visitor
) -> None:
    app.state.settings = settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    await sign_up(visitor, "dana", reason="I sell watches")
    admin = await make_admin(app, clock)
    confirm = html.unescape((await admin.get("/admin/members/dana/reject")).text)
    assert "Reject @dana?" in confirm and "I sell watches" in confirm
    assert (await _decide(admin, "dana", "reject", "")).status_code == 422
    assert (
        await _decide(admin, "dana", "reject", "This street is for neighbours")
    ).status_code == 303
    async with client_for(app) as dana:
        wrong = await log_in(dana, "dana", "not her password at all")
        assert "neighbours" not in wrong.text
        refused = await log_in(dana, "dana")
    assert refused.status_code == 403
    assert "Their reason: This street is for neighbours" in html.unescape(refused.text)
    await admin.aclose()


async def test_approving_needs_no_reason_but_keeps_one_given(app, settings, clock, visitor) -> None:
    app.state.settings = settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    await sign_up(visitor, "dana", reason="Number 12")
    admin = await make_admin(app, clock)
    assert (await _decide(admin, "dana", "approve", "Known neighbour")).status_code == 303
    async with app.state.sessions() as session:
        entry = (
            await session.exec(select(AuditEntry).where(col(AuditEntry.verb) == "member.approve"))
        ).one()
    assert entry.detail == "Known neighbour"
    audit = html.unescape((await admin.get("/admin/audit")).text)
    assert "approved the sign-up of" in audit and "Known neighbour" in audit
    await admin.aclose()


async def test_a_decision_that_no_longer_fits_is_refused_plainly(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    again = await admin.get("/admin/members/ben/approve", follow_redirects=True)
    assert "@ben is active: nothing to approve." in html.unescape(again.text)
    myself = await admin.get("/admin/members/root_ana/suspend", follow_redirects=True)
    assert "You cannot suspend or reject yourself." in myself.text
    assert (await admin.get("/admin/members/ben/explode")).status_code in (302, 303, 404)
    await admin.aclose()
