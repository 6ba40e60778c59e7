"""Decisions as the member they are about reads them: warnings, limits and suspensions
with the norm they cite, and one appeal of each, decided by a moderator."""

from __future__ import annotations

import re

from server.models import Actor
from tests.conftest import PASSWORD, csrf_from
from tests.statements import statements
from tests.test_web_moderation import KIND_RULE, decide, reported
from tests.test_web_reports import actor_id


async def test_ben_appeals_once_and_cleo_grants_it_lifting_the_limit(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    ben, cleo = people["ben"], people["cleo"]
    limited = await decide(cleo, report_id, kind="limit", norm="rule:1", reason="Repeated jabs")
    assert limited.status_code == 303
    standing = (await ben.client.get("/settings/standing")).text
    assert "Your account is limited for now." in standing
    action = int(re.search(r'id="action-(\d+)"', standing).group(1))  # type: ignore[union-attr]

    token = await csrf_from(ben.client, "/settings/standing")
    empty = await ben.client.post(
        f"/settings/standing/{action}/appeal", data={"csrf_token": token, "text": " "}
    )
    assert empty.status_code == 422 and "Say why the decision should change." in empty.text
    sent = await ben.client.post(
        f"/settings/standing/{action}/appeal",
        data={"csrf_token": token, "text": "It was a joke between neighbours."},
    )
    assert sent.status_code == 303
    again = await ben.client.post(
        f"/settings/standing/{action}/appeal", data={"csrf_token": token, "text": "Please"}
    )
    assert again.status_code == 409 and "appealed this decision already" in again.text

    queue = (await cleo.client.get("/moderation")).text
    assert "It was a joke between neighbours." in queue
    appeal = int(re.search(r'action="/moderation/appeals/(\d+)"', queue).group(1))  # type: ignore[union-attr]
    token = await csrf_from(cleo.client, "/moderation")
    granted = await cleo.client.post(
        f"/moderation/appeals/{appeal}",
        data={"csrf_token": token, "decision": "approve", "outcome": "Fair: it reads as a joke."},
    )
    assert granted.status_code == 303
    assert "No appeals are waiting." in (await cleo.client.get("/moderation")).text
    told = (await ben.client.get("/notifications")).text
    assert "Moderators granted your appeal" in told and "Fair: it reads as a joke." in told
    standing = (await ben.client.get("/settings/standing")).text
    assert "Your account is limited" not in standing.split("<h2")[0]
    assert "granted" in standing
    async with app.state.sessions() as session:
        ben_actor = await session.get(Actor, await actor_id(app, "ben"))
        assert ben_actor is not None and ben_actor.limited_at is None


async def test_suspending_from_the_report_page_ends_bens_session(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    done = await decide(people["cleo"], report_id, kind="suspend", norm="rule:1", reason="Again")
    assert done.status_code == 303
    assert 'href="/@ben"' not in (await people["ben"].client.get("/")).text
    assert (await people["ben"].client.get("/settings/standing")).status_code == 303


async def log_in_as(client, name: str):  # type: ignore[no-untyped-def]
    token = await csrf_from(client, "/login")
    return await client.post(
        "/login", data={"login": name, "password": PASSWORD, "csrf_token": token}
    )


async def test_suspended_ben_reads_why_with_his_password_and_appeals(
    app, clock, people, visitor
) -> None:
    report_id, _ = await reported(app, clock, people)
    ben, cleo = people["ben"], people["cleo"]
    await decide(cleo, report_id, kind="suspend", norm="rule:1", reason="Third jab this week")

    # His password opens the page of decisions, and nothing else.
    held = await log_in_as(ben.client, "ben")
    assert held.status_code == 303 and held.headers["location"] == "/suspended"
    page = (await ben.client.get("/suspended")).text
    assert "Your account is suspended, so you cannot log in." in page
    assert KIND_RULE in page and "Third jab this week" in page
    assert "@ana" not in page and "Unkind to me" not in page
    for elsewhere in ("/", "/settings/standing", "/notifications", "/compose"):
        response = await ben.client.get(elsewhere)
        assert 'href="/@ben"' not in response.text, elsewhere
    # Someone without his password gets nowhere.
    assert (await visitor.get("/suspended")).headers["location"] == "/login"
    wrong = await csrf_from(visitor, "/login")
    refused = await visitor.post(
        "/login", data={"login": "ben", "password": "not it at all", "csrf_token": wrong}
    )
    assert refused.status_code == 422

    action = int(re.search(r'action="/suspended/(\d+)/appeal"', page).group(1))  # type: ignore[union-attr]
    token = await csrf_from(ben.client, "/suspended")
    sent = await ben.client.post(
        f"/suspended/{action}/appeal", data={"csrf_token": token, "text": "I will stop."}
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/suspended#action-{action}"
    assert "waiting for a moderator" in (await ben.client.get("/suspended")).text

    queue = (await cleo.client.get("/moderation")).text
    appeal = int(re.search(r'action="/moderation/appeals/(\d+)"', queue).group(1))  # type: ignore[union-attr]
    token = await csrf_from(cleo.client, "/moderation")
    await cleo.client.post(
        f"/moderation/appeals/{appeal}",
        data={"csrf_token": token, "decision": "approve", "outcome": "Welcome back."},
    )
    # Reinstated, he logs in as before; the decisions page sends him to log in.
    assert (await ben.client.get("/suspended")).headers["location"] == "/login"
    assert (await log_in_as(ben.client, "ben")).headers["location"] == "/"
    assert "Welcome back." in (await ben.client.get("/notifications")).text


async def test_a_suspended_members_page_closes_after_an_hour(app, clock, people) -> None:
    report_id, _ = await reported(app, clock, people)
    await decide(people["cleo"], report_id, kind="suspend", norm="rule:1", reason="Again")
    ben = people["ben"]
    await log_in_as(ben.client, "ben")
    assert (await ben.client.get("/suspended")).status_code == 200
    clock.advance(3601)
    assert (await ben.client.get("/suspended")).headers["location"] == "/login"


async def test_notifications_read_moderation_notices_only_when_there_are_some(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    with statements(app.state.engine) as plain:
        assert "followed you" in (await ana.client.get("/notifications")).text
    assert not [s for s in plain if "moderation_notices" in s]

    report_id, _ = await reported(app, clock, people)
    await decide(people["cleo"], report_id, kind="warn", norm="rule:1", reason="A jab")
    with statements(app.state.engine) as told:
        page = (await ben.client.get("/notifications")).text
    assert "From the moderators" in page and "A jab" in page
    assert len([s for s in told if "moderation_notices" in s]) == 1
