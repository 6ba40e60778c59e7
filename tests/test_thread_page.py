"""The thread page and Latest, as members read them: the whole moment and audience of the
post opened, one way to reply, the thread's tools under its first post; in Latest, whom
a reply answers, and a member's own post never twice."""

from __future__ import annotations

import re

from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.conftest import Person, publish_due

WORDS = "Who else is sowing beans this week?"
REPLY = "Me! Runner beans on the fence."


async def latest(person: Person) -> str:
    """`person`'s home timeline, newest first."""
    token = await person.token("/")
    response = await person.client.post(
        "/home/order", data={"order": "latest", "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return (await person.client.get("/")).text


def focus_article(page: str) -> str:
    """The HTML of the article the page was opened at."""
    found = re.search(r'<article class="[^"]*\bfocus\b.*?</article>', page, re.S)
    assert found, page
    return found.group(0)


async def test_the_post_opened_shows_its_full_date_and_audience_and_one_reply_control(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    post_id = await ana.post(WORDS, visibility="followers")
    await publish_due(app, clock, 31)
    page = (await ben.client.get(f"/@ana/{post_id}")).text
    focus = focus_article(page)
    day = clock.now().strftime("%-d %B %Y")
    assert re.search(rf'<p class="post-meta">\s*<time datetime="[^"]+">{day}, \d\d:\d\d UTC', focus)
    assert "Followers only" in focus
    # One way to reply (the icon, named "Reply"), and no link from the page to itself.
    assert page.count(f'href="/compose?reply_to={post_id}"') == 1
    assert re.search(r'class="act"[^>]*>\s*<svg[^>]*aria-hidden="true"', focus)
    assert '<span class="visually-hidden">Reply</span>' in focus
    assert ">Thread</a>" not in page
    # Ben's reply is counted beside the reply icon once it is out.
    await ben.post(REPLY, reply_to=post_id, visibility="followers")
    await publish_due(app, clock, 700)
    focus = focus_article((await ben.client.get(f"/@ana/{post_id}")).text)
    assert re.search(r'class="count">1<span class="visually-hidden"> reply</span>', focus)


async def test_the_slow_mode_control_sits_under_the_threads_first_post(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana = people["ana"]
    post_id = await ana.post(WORDS)
    await publish_due(app, clock, 31)
    page = (await ana.client.get(f"/@ana/{post_id}")).text
    first_post_ends = page.index("</article>")
    assert page.index("Slow this thread down") > first_post_ends
    assert "Each person may then reply once every" in page


async def test_latest_says_whom_a_reply_answers_without_naming_a_post_one_cannot_see(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    await cleo.follow("ben")
    public = await ana.post(WORDS)
    private = await ana.post("Only for the people who follow me.", visibility="followers")
    await publish_due(app, clock, 31)
    await ben.post(REPLY, reply_to=public)
    await ben.post("Count me in for the private one.", reply_to=private)
    await publish_due(app, clock, 700)

    seen = await latest(ben)
    assert f'Replying to <a href="/@ana/{public}">ana</a>' in seen
    assert f'Replying to <a href="/@ana/{private}">ana</a>' in seen
    # Cleo does not follow Ana: Ben's public replies reach her, the private post does not.
    seen = await latest(cleo)
    assert REPLY in seen and "Count me in for the private one." in seen
    assert f'Replying to <a href="/@ana/{public}">ana</a>' in seen
    assert f"/@ana/{private}" not in seen
    assert "Replying to a post not shown here" in seen
    # The thread page nests replies under what they answer: no line there.
    assert "Replying to" not in (await cleo.client.get(f"/@ana/{public}")).text


async def test_a_boost_of_ones_own_post_is_not_a_second_copy_in_latest(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    post_id = await ana.post(WORDS)
    await publish_due(app, clock, 31)
    token = await ben.token(f"/@ana/{post_id}")
    boosted = await ben.client.post(f"/posts/{post_id}/boost", data={"csrf_token": token})
    assert boosted.status_code == 303, boosted.text
    await publish_due(app, clock, 1)

    seen = await latest(ana)
    assert seen.count(WORDS) == 1
    assert "ben</a> boosted" not in seen
    # Ben's own page still shows what he boosted.
    assert WORDS in (await ben.client.get("/@ben")).text
