"""Reflective cards before a reply: one at a time, chosen for the situation, capped."""

from __future__ import annotations

import re

from sqlmodel import select

from server.models import CareEvent, CareKind
from tests.conftest import csrf_from, publish_due


def card_of(page: str) -> str | None:
    found = re.search(r'<p id="card-text" class="card-text">([^<]+)</p>', page)
    return found.group(1) if found else None


async def test_a_first_reply_to_a_stranger_gets_its_card_once(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await ana.post("Seeds to swap, anyone?")
    await publish_due(app, clock, 31)
    page = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(page) == (
        "You and ana have not talked before. What do you hope they take from your reply?"
    )
    assert "Why this card: You do not follow each other and have never talked with ana." in page
    again = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(again) is None  # once per person per 30 days
    clock.advance(31 * 86400)
    await ben.log_in()  # a month away ended his session
    assert card_of((await ben.client.get(f"/compose?reply_to={post}")).text) is not None


async def test_no_advice_comes_first_and_didnt_fit_is_recorded(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    token = await ana.token()
    posted = await ana.client.post(
        "/posts",
        data={
            "text": "My seedlings died",
            "intent": "venting — no advice please",
            "csrf_token": token,
        },
    )
    post = int(posted.headers["location"].rsplit("/", 1)[1])
    await publish_due(app, clock, 31)
    page = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(page) == (
        "ana asked for no advice. Would listening, or sharing how it was for you, help more?"
    )
    action = re.search(r'action="(/cards/\d+/didnt_fit)"', page)
    assert action
    answer = await ben.client.post(
        action.group(1),
        data={"reply_to": str(post), "csrf_token": await csrf_from(ben.client, "/")},
    )
    assert answer.headers["location"] == f"/compose?reply_to={post}"
    async with app.state.sessions() as session:
        events = (
            await session.exec(select(CareEvent).where(CareEvent.kind == CareKind.card))
        ).all()
    assert [(e.detail, e.outcome) for e in events] == [("no_advice", "didnt_fit")]


async def test_old_posts_hot_threads_and_unread_links(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")  # not strangers: the other cards get their turn
    old = await ana.post("Last month's harvest")
    await publish_due(app, clock, 31)
    clock.advance(8 * 86400)
    page = (await ben.client.get(f"/compose?reply_to={old}")).text
    assert (
        card_of(page)
        == "This post is from 8 days ago. Is the conversation still going, or has it moved on?"
    )

    linked = await ana.post("A good read: https://garden.example/compost")
    await publish_due(app, clock, 31)
    page = (await ben.client.get(f"/compose?reply_to={linked}")).text
    assert (
        card_of(page) == "The post links to a page you have not opened. Read it before you reply?"
    )
    link = re.search(r'href="(/go\?[^"]+)"', page)
    assert link
    opened = await ben.client.get(link.group(1).replace("&amp;", "&"))
    assert opened.status_code == 303
    assert opened.headers["location"] == "https://garden.example/compost"

    hot = await ana.post("Quick poll: tea or coffee?")
    await publish_due(app, clock, 31)
    token = await csrf_from(ana.client, f"/@ana/{hot}")
    await ana.client.post(f"/threads/{hot}/slow_mode", data={"on": "on", "csrf_token": token})
    page = (await ben.client.get(f"/compose?reply_to={hot}")).text
    assert card_of(page) == "This thread is moving fast. A calm, considered reply stands out."


async def test_go_only_follows_links_the_post_carries(app, clock, people, visitor) -> None:
    ana = people["ana"]
    post = await ana.post("See https://garden.example/compost")
    await publish_due(app, clock, 31)
    fine = await visitor.get("/go", params={"to": "https://garden.example/compost", "from": post})
    assert fine.status_code == 303
    elsewhere = await visitor.get("/go", params={"to": "https://evil.example/", "from": post})
    assert elsewhere.status_code == 404


async def test_didnt_fit_keeps_the_reply_as_typed(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await ana.post("Seeds to swap, anyone?")
    await publish_due(app, clock, 31)
    page = (await ben.client.get(f"/compose?reply_to={post}")).text
    # The button belongs to the composer's form, so it sends what Ben typed with it.
    button = re.search(
        r'<button type="submit" form="compose-form" formaction="(/cards/\d+/didnt_fit)"', page
    )
    assert button and card_of(page) is not None
    token = await csrf_from(ben.client, "/")
    answer = await ben.client.post(
        button.group(1),
        data={
            "text": "@ana I have <b>beans</b> & peas to swap",
            "in_reply_to_id": str(post),
            "visibility": "unlisted",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 200
    assert "@ana I have &lt;b&gt;beans&lt;/b&gt; &amp; peas to swap</textarea>" in answer.text
    assert '<option value="unlisted" selected>' in answer.text
    assert "the admins will see that this card did not fit" in answer.text
    assert card_of(answer.text) is None  # the card it answered is not shown again
    async with app.state.sessions() as session:
        events = (
            await session.exec(select(CareEvent).where(CareEvent.kind == CareKind.card))
        ).all()
    assert [e.outcome for e in events] == ["didnt_fit"]
    # Nothing was posted: the reply is still only in Ben's composer.
    replied = await ben.client.post(
        "/posts",
        data={"text": "@ana Beans to swap", "in_reply_to_id": str(post), "csrf_token": token},
    )
    assert replied.status_code == 303
