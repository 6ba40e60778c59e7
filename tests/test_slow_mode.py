"""Slow mode: a thread running hot slows down by itself; its author is never slowed."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from server.models import ThreadSetting
from tests.conftest import csrf_from, publish_due
from tests.test_admin import make_admin


async def _reply(person, parent: int, text: str):  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/compose?reply_to={parent}")
    form = {"text": text, "in_reply_to_id": str(parent), "csrf_token": token}
    return await person.client.post("/posts", data=form)


async def test_a_hot_thread_slows_down_and_says_why(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    token = await csrf_from(admin, "/admin/norms")
    await admin.post(
        "/admin/norms",
        data={"name": "slowmode.hot_replies", "value": "3", "reason": "", "csrf_token": token},
    )
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    root = await ana.post("Pineapple on pizza: yes or no?")
    await publish_due(app, clock, 31)
    for text in ("No.", "Absolutely yes.", "Only with ham."):
        answer = await _reply(ben if text != "Absolutely yes." else cleo, root, text)
        assert answer.status_code == 303
        clock.advance(5)
    page = (await ana.client.get(f"/@ana/{root}")).text
    assert "This thread is in slow mode:" in page
    assert "3 replies came in the last 30 minutes from people who do not follow its author" in page

    refused = await _reply(ben, root, "And another thing")
    assert refused.status_code == 429
    assert "one reply per person every 2 minutes" in refused.text
    assert "And another thing" in refused.text  # kept in the composer
    assert (await _reply(ana, root, "You are all wrong, it is a fruit")).status_code == 303
    clock.advance(121)
    assert (await _reply(ben, root, "And another thing")).status_code == 303
    await admin.aclose()


async def test_the_author_slows_their_thread_by_hand_and_others_cannot(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    root = await ana.post("A calm thread, please")
    await publish_due(app, clock, 31)
    page = await ana.client.get(f"/@ana/{root}")
    assert "Slow this thread down" in page.text
    token = await csrf_from(ana.client, f"/@ana/{root}")
    turned = await ana.client.post(
        f"/threads/{root}/slow_mode", data={"on": "on", "csrf_token": token}
    )
    assert turned.status_code == 303
    assert (
        "its author or a moderator slowed it down" in (await ben.client.get(f"/@ana/{root}")).text
    )
    assert (await _reply(ben, root, "First thought")).status_code == 303
    assert (await _reply(ben, root, "Second thought")).status_code == 429
    # A reply into a slowed thread also waits longer before it goes out.
    assert await publish_due(app, clock, 21) == 0
    assert await publish_due(app, clock, 70) == 1

    token = await csrf_from(ben.client, "/")
    refused = await ben.client.post(
        f"/threads/{root}/slow_mode", data={"on": "off", "csrf_token": token}
    )
    assert refused.status_code == 403


async def test_the_slow_mode_switch_does_not_reveal_hidden_threads(app, clock, people) -> None:
    """Cleo's followers-only thread: Ben (no follower) and an admin who cannot see it get
    the same answer as for a thread that does not exist, and change nothing."""
    cleo, ben = people["cleo"], people["ben"]
    hidden = await cleo.post("Just for my followers", visibility="followers")
    await publish_due(app, clock, 30)
    admin = await make_admin(app, clock)
    try:
        for client in (ben.client, admin):
            token = await csrf_from(client, "/")
            for root in (hidden, hidden + 12345):
                answer = await client.post(
                    f"/threads/{root}/slow_mode", data={"on": "on", "csrf_token": token}
                )
                assert answer.status_code == 404, (root, answer.status_code)
        async with app.state.sessions() as session:
            count = (await session.exec(select(func.count()).select_from(ThreadSetting))).one()
            assert count == 0
        # The admin slows a thread they can see.
        visible = await cleo.post("Open to all")
        await publish_due(app, clock, 30)
        token = await csrf_from(admin, "/")
        answer = await admin.post(
            f"/threads/{visible}/slow_mode", data={"on": "on", "csrf_token": token}
        )
        assert answer.status_code == 303
    finally:
        await admin.aclose()
