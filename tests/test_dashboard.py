"""The admins' dashboard: what the norms did over the last 30 days, in figures and charts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.ids import id_for_time
from server.models import Actor, CareEvent, CareKind, Post, PostState
from server.services import dashboard as figures_of
from server.web import charts
from tests.conftest import csrf_from, publish_due
from tests.test_admin import make_admin

#: Friday 14 March 2025, noon UTC: the window runs from 13 February to today.
TODAY = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
FIRST_DAY = date(2025, 2, 13)


@pytest.fixture
def clock() -> FrozenClock:
    """A fixed start, so nothing lands on the other side of midnight by chance."""
    return FrozenClock(TODAY - timedelta(days=32))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def figures(app: Starlette, clock: FrozenClock) -> figures_of.Figures:
    async with app.state.sessions() as session:
        return await figures_of.figures(session, clock.now())


async def go_to(app: Starlette, clock: FrozenClock, moment: datetime) -> None:
    """Move the clock to `moment`, publishing whatever fell due on the way."""
    await publish_due(app, clock, (moment - clock.now()).total_seconds())


async def add_care(app: Starlette, *events: CareEvent) -> None:
    async with app.state.sessions() as session:
        session.add_all(events)
        await session.commit()


class Tables(HTMLParser):
    """The cells of each section's table, row by row, keyed by the section's id."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: dict[str, list[list[str]]] = {}
        self.section = ""
        self.cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.section = dict(attrs).get("id") or ""
            self.found[self.section] = []
        elif tag == "tr" and self.section:
            self.found[self.section].append([])
        elif tag in ("td", "th") and self.section:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.found[self.section][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


async def test_posts_and_replies_are_counted_per_day(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    # Given Ana posted 32 days ago, before the window,
    await ana.post("Long ago on the street")
    await publish_due(app, clock, 30)
    # and on 10 March she posts, Ben replies, and Ben boosts her post,
    await go_to(app, clock, at(date(2025, 3, 10)))
    first = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 30)
    await ben.post("I do, come by", reply_to=first)
    await publish_due(app, clock, 20)
    token = await csrf_from(ben.client, f"/@ana/{first}")
    await ben.client.post(f"/posts/{first}/boost", data={"csrf_token": token})
    # and today Ana and Ben each post, and a post from another server arrives,
    await go_to(app, clock, at(TODAY.date(), 10))
    await ana.post("Thanks for the ladder")
    await ben.post("Street party on Sunday")
    await publish_due(app, clock, 30)
    await remote_post(app, clock.now())
    # while a post still in its pause is not published yet.
    await ben.post("Still thinking about this one")

    found = await figures(app, clock)

    # Then the chart has 30 days, the boost and the remote post left out.
    assert found.days[0] == FIRST_DAY and found.days[-1] == TODAY.date()
    by_day = {d.day: (d.top_level, d.replies) for d in found.posts}
    assert len(by_day) == 30
    assert by_day[date(2025, 3, 10)] == (1, 1)
    assert by_day[TODAY.date()] == (2, 0)
    assert sum(a + b for a, b in by_day.values()) == 4


async def remote_post(app: Starlette, moment: datetime) -> None:
    async with app.state.sessions() as session:
        dana = Actor(username="dana", domain="far.example", acct_key="dana@far.example")
        session.add(dana)
        await session.flush()
        assert dana.id is not None
        post_id = id_for_time(moment)
        session.add(
            Post(
                id=post_id,
                actor_id=dana.id,
                root_id=post_id,
                text="Hello from afar",
                content_html="<p>Hello from afar</p>",
                state=PostState.published,
                created_at=moment,
                publish_at=moment,
                published_at=moment,
                uri="https://far.example/notes/1",
            )
        )
        await session.commit()


async def test_edits_and_withdrawals_during_the_pause(app, clock, people) -> None:
    ana = people["ana"]
    await go_to(app, clock, at(date(2025, 3, 1)))

    async def edit(post_id: int, path: str) -> None:
        token = await csrf_from(ana.client, f"/posts/{post_id}/{path}")
        response = await ana.client.post(
            f"/posts/{post_id}/{path}",
            data={"text": "Kinder wording", "visibility": "public", "csrf_token": token},
        )
        assert response.status_code == 303, response.text

    # Given Ana edits one post in its pause, and another in its pause and after it,
    edited = await ana.post("Hasty wording")
    edited_twice = await ana.post("Hasty wording again")
    await edit(edited, "edit")
    await edit(edited_twice, "edit")
    # and corrects a third only once it is out,
    corrected = await ana.post("A typo in here")
    await publish_due(app, clock, 30)
    clock.advance(60)
    await edit(edited_twice, "revise")
    await edit(corrected, "revise")
    # and writes one she leaves alone, withdraws another, and keeps one as a draft.
    await ana.post("Good as it is")
    withdrawn = await ana.post("Better not")
    token = await csrf_from(ana.client, f"/@ana/{withdrawn}")
    await ana.client.post(f"/posts/{withdrawn}/withdraw", data={"csrf_token": token})
    token = await csrf_from(ana.client, "/compose")
    await ana.client.post("/drafts", data={"text": "For later", "csrf_token": token})
    await publish_due(app, clock, 30)

    pause = (await figures(app, clock)).pause

    # Then four posts and two drafts went into a pause; two posts were edited in it.
    assert (pause.entered, pause.edited, pause.withdrawn) == (6, 2, 2)
    assert [(p.name, p.count) for p in pause.parts] == [
        ("edited", 2),
        ("withdrawn", 2),
        ("unchanged", 2),
    ]
    assert pause.parts[0].share == pytest.approx(1 / 3)


async def test_care_events_are_counted_by_kind_and_outcome(app, clock) -> None:
    clock.advance((TODAY - clock.now()).total_seconds())
    today, old = TODAY - timedelta(hours=1), TODAY - timedelta(days=31)
    nudge, card, slow = CareKind.tone_nudge, CareKind.card, CareKind.slow_mode
    await add_care(
        app,
        *(
            CareEvent(kind=nudge, outcome=o, created_at=today)
            for o in ("rephrased", "rephrased", "draft", "")
        ),
        CareEvent(kind=nudge, outcome="as_written", created_at=old),
        *(CareEvent(kind=card, detail="stranger", created_at=today) for _ in range(2)),
        CareEvent(kind=card, detail="stranger", outcome="didnt_fit", created_at=today),
        CareEvent(kind=card, detail="hot_thread", outcome="didnt_fit", created_at=today),
        CareEvent(kind=card, detail="brand_new", created_at=today),
        CareEvent(kind=card, detail="old_post", created_at=old),
        CareEvent(kind=slow, detail="hot", created_at=today),
        CareEvent(kind=slow, detail="hot", created_at=today),
        # Either side of midnight UTC: two days.
        CareEvent(kind=slow, detail="manual", created_at=at(date(2025, 3, 12), 23)),
        CareEvent(kind=slow, detail="hot", created_at=at(date(2025, 3, 13), 0)),
        CareEvent(kind=slow, detail="manual", created_at=old),
    )

    found = await figures(app, clock)

    assert found.nudges.shown == 4
    assert [(s.name, s.count, s.share) for s in found.nudges.outcomes] == [
        ("rephrased", 2, 0.5),
        ("draft", 1, 0.25),
        ("as_written", 0, 0.0),
        ("", 1, 0.25),
    ]
    assert [(c.detail, c.shown, c.didnt_fit) for c in found.cards] == [
        ("stranger", 3, 1),
        ("old_post", 0, 0),
        ("hot_thread", 1, 1),
        ("unopened_link", 0, 0),
        ("no_advice", 0, 0),
        ("brand_new", 1, 0),
    ]
    slowed = {d.day: (d.hot, d.manual) for d in found.slowed if d.hot or d.manual}
    assert slowed == {
        date(2025, 3, 12): (0, 1),
        date(2025, 3, 13): (1, 0),
        TODAY.date(): (2, 0),
    }


async def test_a_reply_counts_as_answered_when_the_person_replied_to_answers(
    app, clock, people
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await go_to(app, clock, at(date(2025, 3, 5)))
    # Given Ana asks, and Ben and Cleo reply, and Ana adds to her own thread,
    question = await ana.post("Anyone know a good plumber?")
    await publish_due(app, clock, 30)
    from_ben = await ben.post("Try Sam on Elm Street", reply_to=question)
    from_cleo = await cleo.post("I fixed mine myself", reply_to=question)
    await ana.post("Edit: it is the kitchen tap", reply_to=question)
    await publish_due(app, clock, 20)
    # when Ana answers Ben, and Ben (not Ana) answers Cleo,
    await ana.post("Thank you, I will call Sam", reply_to=from_ben)
    await ben.post("How did you do it?", reply_to=from_cleo)
    await publish_due(app, clock, 20)

    reach = (await figures(app, clock)).reciprocity

    # then of four replies to someone else, only Ben's got an answer from that person.
    assert (reach.replies, reach.answered) == (4, 1)
    assert [(p.name, p.share) for p in reach.parts] == [("answered", 0.25), ("unanswered", 0.75)]


async def test_the_page_shows_each_chart_with_its_numbers(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await go_to(app, clock, at(TODAY.date(), 9))
    await ana.log_in()  # the weeks the clock moved ended their sessions
    await ben.log_in()
    question = await ana.post("Bins go out tonight?")
    await publish_due(app, clock, 30)
    reply = await ben.post("Yes, the green ones", reply_to=question)
    await publish_due(app, clock, 20)
    await ana.post("Thanks!", reply_to=reply)
    await publish_due(app, clock, 20)
    moment = clock.now()
    await add_care(
        app,
        CareEvent(kind=CareKind.tone_nudge, outcome="rephrased", created_at=moment),
        CareEvent(kind=CareKind.card, detail="stranger", outcome="didnt_fit", created_at=moment),
        CareEvent(kind=CareKind.card, detail="<b>odd</b>", created_at=moment),
        CareEvent(kind=CareKind.slow_mode, detail="manual", created_at=moment),
    )
    admin = await make_admin(app, clock)

    page = await admin.get("/admin/dashboard")

    assert page.status_code == 200
    assert page.text.count("<svg") == 8  # seven charts as before, and the shield's
    tables = Tables(page.text).found
    assert tables["posts"][-1] == ["14 Mar", "1", "2"]
    assert tables["pause"][1:] == [
        ["edited", "0", "0%"],
        ["withdrawn", "0", "0%"],
        ["left as written", "3", "100%"],
    ]
    assert tables["nudges"][1] == ["rephrased", "1", "100%"]
    assert tables["cards"][1] == ["Stranger", "1", "1"]
    assert tables["cards"][-1] == ["<b>odd</b>", "1", "0"]
    assert "&lt;b&gt;odd&lt;/b&gt;" in page.text and "<b>odd</b>" not in page.text
    assert tables["slow"][-1] == ["14 Mar", "0", "1"]
    assert tables["answers"][1:] == [["answered", "1", "50%"], ["not answered", "1", "50%"]]
    await admin.aclose()


async def test_the_page_works_before_anything_happened(app, clock) -> None:
    admin = await make_admin(app, clock)

    page = await admin.get("/admin/dashboard")

    assert page.status_code == 200
    # Seven charts: six of the norms and the reports'; and the shield's.
    assert page.text.count("<svg") == 8 and "None yet" in page.text
    tables = Tables(page.text).found
    assert tables["posts"][1:] == [[row[0], "0", "0"] for row in tables["posts"][1:]]
    assert tables["answers"][1:] == [["answered", "0", "0%"], ["not answered", "0", "0%"]]
    await admin.aclose()


async def test_members_cannot_open_the_dashboard(app, people, visitor) -> None:
    assert (await people["ana"].client.get("/admin/dashboard")).status_code == 403
    assert (await visitor.get("/admin/dashboard")).status_code != 200


def test_charts_escape_what_they_are_given() -> None:
    drawn = charts.bars("c", "<Title>", "a & b", ["<day>"], [("<s>", [3])])
    assert '<title id="c-title">&lt;Title&gt;</title>' in drawn
    assert '<desc id="c-desc">a &amp; b</desc>' in drawn
    assert "<day>" not in drawn and "&lt;day&gt;" in drawn and "&lt;s&gt;" in drawn
    shared = charts.share_bar("d", "t", "d", [('"quoted"', 1), ("other", 3)])
    assert "&#34;quoted&#34;: 1 (25%)" in shared and "other: 3 (75%)" in shared
