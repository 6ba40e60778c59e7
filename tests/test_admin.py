"""Admins approve sign-ups and suspend members; suspension ends sessions."""

from __future__ import annotations

from server.config import RegistrationMode
from server.models import MemberRole
from server.services import accounts
from tests.conftest import client_for, csrf_from, publish_due
from tests.test_auth import log_in, sign_up


async def make_admin(app, clock, name: str = "root_ana"):
    async with app.state.sessions() as session:
        await accounts.create_member(
            session,
            username=name,
            email=f"{name}@example.com",
            password="correct horse battery",
            role=MemberRole.admin,
            now=clock.now(),
        )
    client = client_for(app)
    assert (await log_in(client, name)).status_code == 303
    return client


async def test_admin_approves_a_waiting_sign_up(app, settings, clock, visitor) -> None:
    app.state.settings = settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    await sign_up(visitor, "dana", reason="Neighbour from number 12")
    admin = await make_admin(app, clock)
    page = await admin.get("/admin/members")
    assert "Neighbour from number 12" in page.text
    token = await csrf_from(admin, "/admin/members")
    response = await admin.post("/admin/members/dana/approve", data={"csrf_token": token})
    assert response.status_code == 303
    async with client_for(app) as dana:
        assert (await log_in(dana, "dana")).status_code == 303
    await admin.aclose()


async def test_suspension_ends_the_members_session(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    ben = people["ben"].client
    assert 'href="/@ben"' in (await ben.get("/")).text
    token = await csrf_from(admin, "/admin/members")
    await admin.post("/admin/members/ben/suspend", data={"reason": "Spam", "csrf_token": token})
    assert 'href="/@ben"' not in (await ben.get("/")).text
    assert (await ben.get("/@ben")).status_code == 404
    # He may still read why, and nothing else.
    refused = await log_in(ben, "ben")
    assert refused.status_code == 303 and refused.headers["location"] == "/suspended"
    assert "The moderators' reason: Spam" in (await ben.get("/suspended")).text
    assert (await ben.get("/")).status_code != 200 or 'href="/@ben"' not in (
        await ben.get("/")
    ).text
    await admin.aclose()


async def test_members_cannot_open_admin_pages(app, people) -> None:
    response = await people["ana"].client.get("/admin/members")
    assert response.status_code == 403


async def test_a_suspended_members_posts_disappear_everywhere(app, clock, people, visitor) -> None:
    ben = people["ben"]
    post_id = await ben.post("Something from Ben #street")
    await publish_due(app, clock, 30)
    assert "Something from Ben" in (await visitor.get("/local")).text
    admin = await make_admin(app, clock)
    token = await csrf_from(admin, "/admin/members")
    await admin.post("/admin/members/ben/suspend", data={"reason": "Spam", "csrf_token": token})
    for page in ("/local", "/tags/street", f"/@ben/{post_id}"):
        assert "Something from Ben" not in (await visitor.get(page)).text, page
    await admin.post("/admin/members/ben/reinstate", data={"csrf_token": token})
    assert "Something from Ben" in (await visitor.get("/local")).text
    await admin.aclose()
