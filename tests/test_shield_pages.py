"""The pile-on shield as people meet it: Ana's banner and switch, the card for people
arriving to reply, her one notification (web and API), and the admins' dashboard."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.services import norms
from tests.conftest import Person, client_for, csrf_from, publish_due, sign_up
from tests.test_admin import make_admin
from tests.test_dashboard import Tables
from tests.test_exactly_once import bearer

CARD = "ana is receiving many replies right now; yours will wait for their approval."


async def set_norm(app: Starlette, clock: FrozenClock, name: str, value: str) -> None:
    async with app.state.sessions() as session:
        await norms.change(
            session, app.state.settings, name, value, reason="", actor_id=None, now=clock.now()
        )


@pytest.fixture
async def dan(app: Starlette) -> Person:
    """Dan, who arrives once the thread is busy."""
    found = await sign_up(client_for(app), "dan")
    yield found
    await found.client.aclose()


async def surge(app: Starlette, clock: FrozenClock, people: dict[str, Person]) -> int:
    """Ana asks a question; Ben and Cleo, who do not follow her, answer at once: with
    the shield tripping at two people, it goes up."""
    await set_norm(app, clock, "shield.strangers", "2")
    root = await people["ana"].post("Pineapple on pizza?")
    await publish_due(app, clock, 31)
    for name in ("ben", "cleo"):
        await people[name].post(f"No, says {name}", reply_to=root)
    await publish_due(app, clock, 21)
    return root


async def test_ana_sees_her_banner_and_dan_the_card_where_he_replies(
    app, clock, people, dan
) -> None:
    root = await surge(app, clock, people)
    page = (await people["ana"].client.get(f"/@ana/{root}")).text
    assert "Your pile-on shield is up" in page
    assert "2 people you don’t know replied in this thread" in page
    assert "Turn the shield off" in page
    assert CARD not in page

    for where in (f"/@ana/{root}", f"/compose?reply_to={root}"):
        seen = (await dan.client.get(where)).text
        assert CARD in seen, where
        assert "Turn the shield off" not in seen and "Your pile-on shield" not in seen
    # Visitors and Ana's followers are not held: no card for them.
    async with client_for(app) as visitor:
        assert CARD not in (await visitor.get(f"/@ana/{root}")).text
    await dan.follow("ana")
    assert CARD not in (await dan.client.get(f"/@ana/{root}")).text


async def test_ana_turns_it_off_with_the_form_and_others_cannot(app, clock, people, dan) -> None:
    root = await surge(app, clock, people)
    token = await csrf_from(dan.client, "/")
    refused = await dan.client.post(f"/threads/{root}/shield/off", data={"csrf_token": token})
    assert refused.status_code == 404
    forged = await people["ana"].client.post(f"/threads/{root}/shield/off", data={})
    assert forged.status_code == 403
    assert "Your pile-on shield is up" in (await people["ana"].client.get(f"/@ana/{root}")).text

    token = await csrf_from(people["ana"].client, f"/@ana/{root}")
    done = await people["ana"].client.post(
        f"/threads/{root}/shield/off", data={"csrf_token": token}
    )
    assert done.status_code == 303
    assert "Your pile-on shield is up" not in (await people["ana"].client.get(f"/@ana/{root}")).text
    assert CARD not in (await dan.client.get(f"/compose?reply_to={root}")).text
    notices = (await people["ana"].client.get("/notifications")).text
    assert "Your pile-on shield" in notices and "You turned the shield off." in notices


async def test_ana_hears_once_and_counts_only_what_she_may_open(app, clock, people, dan) -> None:
    """Ana's notification counts people, never names them; a direct reply between Ben and
    Dan in her thread, which she may not open, is not among them."""
    root = await surge(app, clock, people)
    await dan.post("@ben between us", visibility="direct", reply_to=root)
    await publish_due(app, clock, 21)
    notices = (await people["ana"].client.get("/notifications")).text
    assert notices.count("Your pile-on shield") == 1
    assert "2 people you don’t know replied to this thread" in notices
    assert "between us" not in notices and "dan" not in notices.lower().split("<main")[-1]

    async with await bearer(app, "ana", clock) as ana:
        plain = (await ana.get("/api/v1/notifications")).json()
        assert "pile_on_shield" not in [n["type"] for n in plain]  # Porch's own: asked for
        [told] = (await ana.get("/api/v1/notifications?types[]=pile_on_shield")).json()
        assert told["account"]["username"] == "ana"
        assert told["status"]["id"] == str(root)
        assert told["pile_on_shield"]["strangers"] == 2
        assert told["pile_on_shield"]["ended_at"] is None

        shield = (await ana.get(f"/api/v1/statuses/{root}/shield")).json()
        assert shield["status_id"] == str(root) and shield["strangers"] == 2
        off = await ana.post(f"/api/v1/statuses/{root}/shield/off")
        assert off.status_code == 200 and off.json()["ended_by"] == "author"
        again = await ana.post(f"/api/v1/statuses/{root}/shield/off")
        assert again.status_code == 404 and "not up" in again.json()["error"]
    async with await bearer(app, "ben", clock) as ben:
        assert (await ben.get(f"/api/v1/statuses/{root}/shield")).status_code == 404


async def test_the_dashboard_counts_shields_and_those_turned_off(app, clock, people) -> None:
    first = await surge(app, clock, people)
    second = await people["ana"].post("And olives?")
    await publish_due(app, clock, 31)
    for name in ("ben", "cleo"):
        await people[name].post("No olives", reply_to=second)
    await publish_due(app, clock, 21)
    token = await csrf_from(people["ana"].client, f"/@ana/{first}")
    await people["ana"].client.post(f"/threads/{first}/shield/off", data={"csrf_token": token})
    admin = await make_admin(app, clock)
    try:
        page = (await admin.get("/admin/dashboard")).text
        assert Tables(page).found["shield"][1:] == [
            ["Last 7 days", "2", "1"],
            ["Last 30 days", "2", "1"],
        ]
        clock.advance(8 * 24 * 3600)
        admin_again = await make_admin(app, clock, "root_ben")
        page = (await admin_again.get("/admin/dashboard")).text
        assert Tables(page).found["shield"][1:] == [
            ["Last 7 days", "0", "0"],
            ["Last 30 days", "2", "1"],
        ]
        await admin_again.aclose()
    finally:
        await admin.aclose()


async def test_once_ana_deletes_the_post_its_shield_shows_nothing_of_it(app, clock, people) -> None:
    root = await surge(app, clock, people)
    async with await bearer(app, "ana", clock) as ana:
        assert (await ana.delete(f"/api/v1/statuses/{root}")).status_code == 200
        asked = await ana.get("/api/v1/notifications?types[]=pile_on_shield")
        assert asked.json() == []  # the post went out of sight, and its notice with it
        assert (await ana.get(f"/api/v1/statuses/{root}/shield")).status_code == 404
    notices = (await people["ana"].client.get("/notifications")).text
    assert "Pineapple on pizza?" not in notices
