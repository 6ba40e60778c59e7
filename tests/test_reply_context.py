"""Before replying, a member sees the thread so far and who they are answering."""

from __future__ import annotations

from tests.conftest import csrf_from, publish_due


async def test_the_reply_composer_shows_the_person_and_your_history(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    token = await csrf_from(ana.client, "/settings/profile")
    await ana.client.post(
        "/settings/profile",
        data={
            "display_name": "Ana",
            "bio": "Gardener. Tea.",
            "interaction_note": "Happy to chat; no unsolicited advice, please.",
            "csrf_token": token,
        },
    )
    question = await ana.post("Which tomatoes grow well in pots?")
    await publish_due(app, clock, 31)

    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "Gardener. Tea." in page
    assert "How they like to be approached:</strong> Happy to chat; no unsolicited advice" in page
    assert "You do not follow each other" in page
    assert "You have never talked" in page
    assert "0 replies · 0 people · you follow 0 · Ana has not replied here" in page

    answer = await cleo.post("Cherry ones!", reply_to=question)
    await publish_due(app, clock, 21)
    await ana.post("Thank you!", reply_to=answer)
    await ben.post("Roma too.", reply_to=question)
    await publish_due(app, clock, 21)
    await ben.follow("ana")
    await ana.follow("ben")

    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "You follow each other" in page
    assert "You have exchanged 1 reply, most recently today" in page
    assert "3 replies · 3 people · you follow 1 · Ana taking part" in page

    # Replies count both ways; a deleted one no longer does.
    ben_reply = await ben.post("And San Marzano.", reply_to=question)
    await publish_due(app, clock, 21)
    welcome = await ana.post("Good idea, thanks", reply_to=ben_reply)
    await publish_due(app, clock, 21)
    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "You have exchanged 3 replies, most recently today" in page
    token = await csrf_from(ana.client, f"/@ana/{welcome}")
    deleted = await ana.client.post(f"/posts/{welcome}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "You have exchanged 2 replies, most recently today" in page
