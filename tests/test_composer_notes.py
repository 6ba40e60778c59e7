"""The composer says what will happen before anyone writes: how long the pause is, by
situation, and when a spent daily budget frees up."""

from __future__ import annotations

from datetime import timedelta

from server.services.composer_notes import spoken
from tests.conftest import publish_due
from tests.test_admin import make_admin
from tests.test_norms import set_norm


def test_lengths_read_as_plain_words() -> None:
    assert spoken(timedelta(seconds=1)) == "1 second"
    assert spoken(timedelta(seconds=30)) == "30 seconds"
    assert spoken(timedelta(minutes=1)) == "1 minute"
    assert spoken(timedelta(minutes=5)) == "5 minutes"
    assert spoken(timedelta(seconds=301)) == "6 minutes"  # a part minute counts whole
    assert spoken(timedelta(hours=1)) == "1 hour"
    assert spoken(timedelta(hours=23, minutes=59, seconds=30)) == "24 hours"
    assert spoken(timedelta(hours=2, minutes=5)) == "2 hours 5 minutes"


async def test_the_composer_names_the_pause_for_each_situation(app, clock, people) -> None:
    admin = await make_admin(app, clock)
    await set_norm(admin, "pause.post_seconds", "300")
    await set_norm(admin, "pause.reply_seconds", "120")
    await set_norm(admin, "pause.stranger_reply_seconds", "600")
    await set_norm(admin, "pause.mutual_reply_seconds", "10")
    ana, ben = people["ana"], people["ben"]
    page = (await ana.client.get("/compose")).text
    assert (
        "Your post goes out 5 minutes after you send it; "
        "you can change or withdraw it until then." in page
    )
    question = await ana.post("Anyone for tea?")
    await publish_due(app, clock, 301)
    # Ben and Ana have never met: a first reply to a stranger waits longest.
    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "Your reply goes out 10 minutes after you send it" in page
    await ben.follow("ana")
    page = (await ben.client.get(f"/compose?reply_to={question}")).text
    assert "Your reply goes out 2 minutes after you send it" in page
    # Mutuals who exchanged replies this week: dialogue flows.
    await ana.follow("ben")
    answer = await ben.post("Me, please", reply_to=question)
    await publish_due(app, clock, 121)
    page = (await ana.client.get(f"/compose?reply_to={answer}")).text
    assert "Your reply goes out 10 seconds after you send it" in page
    # Changing a post in its pause says how long is left instead.
    assert (
        "goes out 5 minutes after" not in (await ana.client.get(f"/posts/{question}/revise")).text
    )
    await admin.aclose()
