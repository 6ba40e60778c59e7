"""Conversations: each conversation is one unit (its first post, why it is here, and the
exchange that earned its place, folded), speaks to its reader as "you", and counts
replies and people in numbers that agree; the exchange never shows a reply its reader
may not see."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, Post
from server.services import accounts, exchanges, explanations
from server.services.post_views import PostView, views_of
from server.services.ranked_timeline import Ranked
from tests.conftest import Person, client_for, csrf_from, publish_due, sign_up
from tests.statements import statements
from tests.test_exactly_once import bearer

QUESTION = "Which tomatoes grow well in pots on a windy balcony?"
ANSWER = "Tumbling Tom does well for me, it stays short and sturdy."
FOLLOW_UP = "Thank you, does it need a deep pot or will a small one do?"
#: The replies of every conversation on a page with their authors, then the shown ones
#: as every page reads posts: which the reader may see, their figures, which quote, and
#: the authors of the posts they answer (their "Replying to" line).
EXCHANGE_STATEMENTS = 5


def unit(page: str, post_id: int) -> str:
    """The HTML of the conversation led by `post_id` on a Conversations page."""
    start = page.index(f'<article class="conversation" aria-labelledby="conversation-{post_id}">')
    end = page.find('<article class="conversation"', start + 1)
    return page[start : end if end > 0 else page.index("</main>")]


def text(html: str) -> str:
    """What a reader reads: tags out, spaces collapsed, typographic quotes kept."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _tomatoes(app: Starlette, clock: FrozenClock, people: dict[str, Person]) -> int:
    """Ana asks about tomatoes; Cleo answers; Ana answers Cleo. Ben follows both."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    await ben.follow("cleo")
    await cleo.follow("ana")
    question = await ana.post(QUESTION)
    await publish_due(app, clock, 31)
    answer = await cleo.post(ANSWER, reply_to=question)
    await publish_due(app, clock, 600)
    await ana.post(FOLLOW_UP, reply_to=answer)
    await publish_due(app, clock, 600)
    return question


async def test_a_conversation_is_one_unit_with_its_reasons_and_the_exchange_folded(
    app, clock, people
) -> None:
    question = await _tomatoes(app, clock, people)
    page = (await people["ben"].client.get("/")).text
    shown = unit(page, question)
    # The card, then why it is here as a line of text, then the exchange, all inside.
    assert QUESTION in shown
    assert '<p class="reasons"><span class="here-because">Here because:</span>' in shown
    assert "<li" not in shown.split('class="reasons"')[1].split("</p>")[0]  # no chips
    assert "<summary>Why this post</summary>" in shown
    said = text(shown)
    assert "2 replies from cleo and ana — show the exchange" in said
    assert '<details class="exchange">' in shown  # folded, opened without scripts
    assert ANSWER in shown and FOLLOW_UP in shown
    assert shown.index(ANSWER) < shown.index(FOLLOW_UP)  # in thread order
    assert "Replying to cleo" in said
    assert "Replying to ana" not in said  # the card above says whose the first post is
    assert f'<a href="/@ana/{question}">Open the conversation' in shown
    # The card counts the replies the summary counts.
    assert (
        f'<a class="count" href="/@ana/{question}">2<span class="visually-hidden"> replies</span></a>'
        in shown
    )
    # One person besides Ana replied: the count says so beside "from cleo and ana".
    assert "1 person replied besides ana" in said
    assert "ana answered 1 person here" in said


async def test_the_thread_author_reads_about_their_own_conversation_as_you(
    app, clock, people
) -> None:
    question = await _tomatoes(app, clock, people)
    said = text(unit((await people["ana"].client.get("/")).text, question))
    assert "You started this conversation" in said
    assert "You answered 1 person here" in said
    assert "2 replies from cleo and you" in said
    assert "1 person replied besides you" in said
    assert "ana answered" not in said and "ana posts rarely" not in said
    assert "Replying to cleo" in said
    # Cleo, whom Ana answered, is told so; her own reply is hers.
    said = text(unit((await people["cleo"].client.get("/")).text, question))
    assert "ana answered you here" in said
    assert "2 replies from ana and you" in said
    assert "You replied" in said
    assert "Replying to you" in said


async def test_counts_of_people_and_replies_say_why_they_differ(app, clock, people) -> None:
    """Dan follows Ana and Cleo. Ben's reply to Ana is too short to count: the reasons
    say how many of the people who replied count, beside a summary naming them all."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    dan = await sign_up(client_for(app), "dan")
    try:
        await dan.follow("ana")
        await dan.follow("cleo")
        question = await ana.post(QUESTION)
        await publish_due(app, clock, 31)
        await ben.post("Yes!", reply_to=question)
        answer = await cleo.post(ANSWER, reply_to=question)
        await publish_due(app, clock, 600)
        await ana.post(FOLLOW_UP, reply_to=answer)
        await publish_due(app, clock, 600)
        said = text(unit((await dan.client.get("/")).text, question))
    finally:
        await dan.client.aclose()
    assert re.search("3 replies from (ben, cleo|cleo, ben) and ana — show the exchange", said)
    assert "1 of the 2 people who replied besides ana count here" in said
    # The score's table says why: short replies do not count.
    assert "short replies, and replies from accounts new here, do not" in said


async def test_the_exchange_shows_three_replies_chosen_for_its_reader(app, clock, people) -> None:
    """Dan, Eve and Finn answer Ana, then Cleo (whom Ben follows) does, and Ana answers
    Dan. Ben's exchange shows Cleo's reply, Ana's answer and Dan's reply she answered,
    in thread order; the summary names the first two people and counts the rest."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    others = {n: await sign_up(client_for(app), n) for n in ("dan", "eve", "finn")}
    try:
        await ben.follow("ana")
        await ben.follow("cleo")
        question = await ana.post(QUESTION)
        await publish_due(app, clock, 31)
        dans = await others["dan"].post("Dan: cherry tomatoes, tied to a cane", reply_to=question)
        for name in ("eve", "finn"):
            clock.advance(1)  # one after the other: thread order is the order written
            await others[name].post(f"{name.title()}: I would not bother at all", reply_to=question)
        clock.advance(1)
        await cleo.post(ANSWER, reply_to=question)
        await publish_due(app, clock, 61)
        await ana.post("Ana to Dan: which cane height works?", reply_to=dans)
        await publish_due(app, clock, 61)
        page = (await ben.client.get("/")).text
    finally:
        for person in others.values():
            await person.client.aclose()
    shown = unit(page, question)
    said = text(shown)
    assert "5 replies from dan, eve and 3 others — show the exchange" in said
    assert "The 3 that matter most to you, in order" in said
    assert "Eve: I would not" not in said and "Finn: I would not" not in said
    order = [said.index(t) for t in ("Dan: cherry", ANSWER, "Ana to Dan")]
    assert order == sorted(order)
    assert "Replying to dan" in said


async def _act(person: Person, post_id: int, action: str, page: str) -> httpx.Response:
    token = await csrf_from(person.client, page)
    return await person.client.post(f"/posts/{post_id}/{action}", data={"csrf_token": token})


async def test_the_exchange_shows_only_replies_its_reader_may_see(app, clock, people) -> None:
    """Ana's thread has replies Ben may not read: followers-only from Cleo (he does not
    follow her), a direct one, one from Dan whom he blocked, one from Eve whom he
    muted, one Ana hid (and an answer under it), one still in its pause and one
    deleted. Ben's exchange shows Finn's reply alone, and counts only it."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    others = {n: await sign_up(client_for(app), n) for n in ("dan", "eve", "finn", "gus")}
    try:
        await ben.follow("ana")
        question = await ana.post(QUESTION)
        await publish_due(app, clock, 31)
        words = {
            "followers": await cleo.post(
                "For my followers: terracotta dries out fast",
                visibility="followers",
                reply_to=question,
            ),
            "direct": await cleo.post(
                "@ana between us, the neighbour's plants died",
                visibility="direct",
                reply_to=question,
            ),
            "blocked": await others["dan"].post(
                "Dan here: grow potatoes instead honestly", reply_to=question
            ),
            "muted": await others["eve"].post(
                "Eve here: balconies are no place for plants", reply_to=question
            ),
            "hidden": await others["gus"].post(
                "Gus here: what a silly thing to ask about", reply_to=question
            ),
            "deleted": await others["dan"].post(
                "Dan again: I take my words back entirely", reply_to=question
            ),
        }
        await publish_due(app, clock, 61)
        words["under hidden"] = await others["finn"].post(
            "Finn, answering Gus: that is unkind, really", reply_to=words["hidden"]
        )
        kept = await others["finn"].post("Finn here: Balconi Red loves the wind", reply_to=question)
        await publish_due(app, clock, 61)
        thread = f"/@ana/{question}"
        assert (await _act(ana, words["hidden"], "hide", thread)).status_code == 303
        assert (
            await _act(others["dan"], words["deleted"], "delete", f"/@dan/{words['deleted']}")
        ).status_code == 303
        async with await bearer(app, "ben", clock) as app_ben:
            for name, action in (("dan", "block"), ("eve", "mute")):
                found = await app_ben.get("/api/v1/accounts/lookup", params={"acct": name})
                done = await app_ben.post(f"/api/v1/accounts/{found.json()['id']}/{action}")
                assert done.status_code == 200, done.text
        words["pending"] = await others["gus"].post(
            "Gus, still in my pause: pots!", reply_to=question
        )
        page = (await ben.client.get("/")).text
    finally:
        for person in others.values():
            await person.client.aclose()
    shown = unit(page, question)
    assert "Finn here: Balconi Red loves the wind" in shown
    for hidden in (
        "terracotta",
        "neighbour",
        "potatoes",
        "no place for plants",
        "silly thing",
        "take my words back",
        "answering Gus",
        "still in my pause",
    ):
        assert hidden not in page, hidden
    said = text(shown)
    assert "1 reply from finn" in said
    assert (
        f'<a class="count" href="/@ana/{question}">1<span class="visually-hidden"> reply</span></a>'
        in shown
    )
    assert f"/@finn/{kept}" in shown
    # Once Ben follows Cleo, her followers-only reply is his to read, there too.
    await ben.follow("cleo")
    said = text(unit((await ben.client.get("/")).text, question))
    assert "For my followers: terracotta dries out fast" in said
    assert "2 replies from cleo and finn" in said or "2 replies from finn and cleo" in said


def _ranked(author: Actor, terms: dict[str, float], counts: dict[str, int]) -> Ranked:
    post = Post(id=7, actor_id=author.id, root_id=7, content_html="<p>Tea?</p>")
    return Ranked(PostView(post, author), 3.0, terms, [], counts, author)


def test_no_reason_speaks_of_its_reader_in_the_third_person() -> None:
    """Every term of a score on Ana's own post, as Ana reads it, and as Ben does."""
    ana, ben = Actor(id=1, username="ana"), Actor(id=2, username="ben")
    terms = {"base": 2.0, "voices": 1.0, "exchange": 1.0, "author": 1.0, "decay": 0.9}
    terms |= {"quiet": 1.25, "diversity": 0.8}
    counts = {"repliers": 2, "pairs": 1, "answered": 2}
    own = _ranked(ana, terms, counts)
    mine = [line.text for line in explanations.lines(own, viewer_id=1)]
    assert "You started this conversation" in mine
    assert "You answered 2 people here" in mine
    assert "You post rarely" in mine
    assert "Shown lower: more of your posts on this page" in mine
    said = " ".join(mine + explanations.reasons(own, viewer_id=1))
    assert "ana" not in said
    # Posting rarely is a reason to show someone else's post, never one's own.
    assert all("rarely" not in r for r in explanations.reasons(own, viewer_id=1))
    for_ben = [line.text for line in explanations.lines(own, viewer_id=2)]
    assert "ana posts rarely" in for_ben and "ana answered 2 people here" in for_ben
    assert "Shown lower: more from ana on this page" in for_ben
    assert "2 people replied" in for_ben
    assert "You" not in " ".join(for_ben[1:])  # Ben reads of Ana, not of himself
    assert ben.name == "ben"


async def test_the_exchanges_of_a_page_read_in_the_same_few_statements_for_one_or_three(
    app, clock, people
) -> None:
    """One conversation or three, with replies each: the same statements."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    roots = []
    for n in range(3):
        roots.append(await ana.post(f"Garden question number {n}: what now?"))
        await publish_due(app, clock, 31)
        await cleo.post(f"Cleo's answer to question {n}, at some length", reply_to=roots[-1])
        await publish_due(app, clock, 61)
    counts = []
    async with app.state.sessions() as session:
        viewer = await accounts.local_actor(session, "ben")
        assert viewer.id is not None
        views = await views_of(session, viewer.id, roots)
        for some in (views[:1], views):
            with statements(app.state.engine) as seen:
                found = await exchanges.of_page(session, viewer.id, some, clock.now())
            counts.append(len(seen))
            assert all(e.replies == 1 and len(e.shown) == 1 for e in found.values())
    assert counts[0] == counts[1] <= EXCHANGE_STATEMENTS, counts
