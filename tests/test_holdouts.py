"""Randomized holdouts: a share of cards and tone nudges is held back at random and
recorded, so what followed can be compared with the moments where they were shown. The
pause is never held back, nor the pile-on shield's card; members read on /about that
this happens."""

from __future__ import annotations

import html
import random
import re

from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import CareEvent, CareKind, Post
from server.services import accounts, holdouts, norms, posting_rules, posts
from server.services.experiment_arms import HOLDOUT, SHOWN
from server.services.posts import Composition
from tests.conftest import Person, csrf_from, publish_due
from tests.test_cards import card_of
from tests.test_shield_pages import CARD as SHIELD_CARD
from tests.test_shield_pages import dan, surge  # noqa: F401

HARSH = "Why would you plant them so early???"


async def set_norm(app: Starlette, clock: FrozenClock, name: str, value: int) -> None:
    async with app.state.sessions() as session:
        await norms.change(
            session, app.state.settings, name, value, reason="", actor_id=None, now=clock.now()
        )


async def events(app: Starlette, kind: CareKind) -> list[CareEvent]:
    async with app.state.sessions() as session:
        found = await session.exec(
            select(CareEvent).where(CareEvent.kind == kind).order_by(col(CareEvent.id))
        )
        return list(found.all())


async def actor_id(app: Starlette, name: str) -> int:
    async with app.state.sessions() as session:
        found = (await accounts.local_actor(session, name)).id
    assert found is not None
    return found


async def question(app: Starlette, clock: FrozenClock, ana: Person) -> int:
    """Ana asks something, and it goes out."""
    post = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)
    return post


async def reply(person: Person, parent: int, text: str, **extra: str) -> str | int:
    """`person` replies from the web composer: the new post's id, or the page shown
    instead (a nudge)."""
    token = await csrf_from(person.client, f"/compose?reply_to={parent}")
    form = {"text": text, "in_reply_to_id": str(parent), "visibility": "public"}
    response = await person.client.post("/posts", data={**form, "csrf_token": token, **extra})
    if response.status_code == 303:
        return int(response.headers["location"].rsplit("/", 1)[1])
    assert response.status_code == 200, response.text
    return response.text


# Cards


async def test_a_card_held_back_is_recorded_not_shown_and_counts_toward_the_cap(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_norm(app, clock, "holdouts.cards_percent", 100)
    post = await question(app, clock, ana)
    # Ben, a stranger to Ana, would get the stranger card: it is held back.
    page = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(page) is None and "Why this card" not in page
    [event] = await events(app, CareKind.card)
    assert (event.detail, event.arm) == ("stranger", HOLDOUT)
    assert (event.actor_id, event.post_id) == (await actor_id(app, "ben"), post)
    # Holding back stops: the card was already "had" within the cap, as if shown.
    await set_norm(app, clock, "holdouts.cards_percent", 0)
    again = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(again) is None
    assert len(await events(app, CareKind.card)) == 1
    # The reply he writes is tied to the moment, as a shown card's would be.
    written = await ben.post("Which kind?", reply_to=post)
    [event] = await events(app, CareKind.card)
    assert event.reply_id == written


async def test_a_card_shown_is_recorded_as_shown(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await question(app, clock, ana)
    page = (await ben.client.get(f"/compose?reply_to={post}")).text
    assert card_of(page) is not None
    [event] = await events(app, CareKind.card)
    assert (event.detail, event.arm) == ("stranger", SHOWN)


async def test_the_shield_card_is_never_held_back(app, clock, people, dan) -> None:  # noqa: F811
    await set_norm(app, clock, "holdouts.cards_percent", 100)
    root = await surge(app, clock, people)
    page = (await dan.client.get(f"/compose?reply_to={root}")).text
    assert SHIELD_CARD in page
    dans = await actor_id(app, "dan")
    [event] = [e for e in await events(app, CareKind.card) if e.actor_id == dans]
    # Not drawn, so outside the comparison of held back and shown.
    assert (event.detail, event.arm) == ("shield", "")


# Tone nudges


async def test_a_nudge_held_back_goes_straight_into_the_as_written_pause(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_norm(app, clock, "holdouts.nudges_percent", 100)
    post = await question(app, clock, ana)
    # Ben's harsh reply is not nudged: it goes into its pause at once...
    written = await reply(ben, post, HARSH)
    assert isinstance(written, int)
    async with app.state.sessions() as session:
        found = await session.get(Post, written)
    assert found is not None and found.publish_at is not None
    # ... the pause for words kept as written (120 s, not the reply's 20 s).
    assert (found.publish_at - found.created_at).total_seconds() == 120
    [nudge] = await events(app, CareKind.tone_nudge)
    assert nudge.arm == HOLDOUT and nudge.outcome == ""
    assert (nudge.actor_id, nudge.post_id, nudge.reply_id) == (
        await actor_id(app, "ben"),
        post,
        written,
    )
    # The pause itself is recorded as for any reply: never held out.
    pauses = [e for e in await events(app, CareKind.pause) if e.reply_id == written]
    assert [(e.arm, e.detail) for e in pauses] == [("", "reply")]
    assert await publish_due(app, clock, 119) == 0
    assert await publish_due(app, clock, 1) == 1


async def test_a_nudge_shown_is_recorded_as_shown_and_never_drawn_again(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post = await question(app, clock, ana)
    page = await reply(ben, post, HARSH)
    assert isinstance(page, str) and "A second look?" in page
    found = re.search(r'name="nudge_id" value="(\d+)"', page)
    assert found
    [shown] = await events(app, CareKind.tone_nudge)
    assert (shown.id, shown.arm) == (int(found.group(1)), SHOWN)
    # Once shown, words still harsh are shown the nudge again, whatever the draw would say.
    await set_norm(app, clock, "holdouts.nudges_percent", 100)
    again = await reply(ben, post, "Why would you plant them so early!!!", nudge_id=found.group(1))
    assert isinstance(again, str) and "A second look?" in again
    # The same moment: its one event, carried on by the page, not a second one.
    assert [(e.id, e.arm) for e in await events(app, CareKind.tone_nudge)] == [(shown.id, SHOWN)]
    assert f'name="nudge_id" value="{shown.id}"' in again


async def test_a_quotes_nudge_is_held_back_too(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_norm(app, clock, "holdouts.nudges_percent", 100)
    post = await question(app, clock, ana)
    token = await csrf_from(ben.client, f"/compose?quote={post}")
    response = await ben.client.post(
        "/posts",
        data={"text": HARSH, "quote_of_id": str(post), "visibility": "public", "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    quote = int(response.headers["location"].rsplit("/", 1)[1])
    [nudge] = await events(app, CareKind.tone_nudge)
    assert (nudge.arm, nudge.post_id, nudge.reply_id) == (HOLDOUT, None, quote)


async def test_a_composer_that_cannot_nudge_holds_nothing_back(app, clock, people) -> None:
    """Apps show no nudge: their harsh replies are no eligible moment, so none is drawn."""
    ana = people["ana"]
    await set_norm(app, clock, "holdouts.nudges_percent", 100)
    post = await question(app, clock, ana)
    async with app.state.sessions() as session:
        rules = posting_rules.rules(
            await norms.current(session, app.state.settings), app.state.settings.base_url
        )
        ben = await accounts.local_actor(session, "ben")
        written = await posts.compose(
            session,
            app.state.jobs,
            app.state.remote_lookup,
            ben,
            Composition(HARSH, in_reply_to_id=post),
            rules,
            clock.now(),
        )
    assert written.publish_at is not None
    assert (written.publish_at - written.created_at).total_seconds() == 120
    assert await events(app, CareKind.tone_nudge) == []


# The draw


def test_the_draw_holds_back_about_the_share_asked_and_repeats_with_a_seed() -> None:
    rng = random.Random(19)
    draws = [holdouts.held_out(10, rng=rng) for _ in range(20_000)]
    share = sum(draws) / len(draws)
    assert 0.09 < share < 0.11, share
    rng = random.Random(19)
    assert [holdouts.held_out(10, rng=rng) for _ in range(20_000)] == draws
    rng = random.Random(7)
    assert 0.48 < sum(holdouts.held_out(50, rng=rng) for _ in range(20_000)) / 20_000 < 0.52
    assert not any(holdouts.held_out(0) for _ in range(1000))
    assert all(holdouts.held_out(100) for _ in range(1000))


def test_the_fair_draw_is_the_systems_randomness() -> None:
    assert isinstance(holdouts._FAIR, random.SystemRandom)
    share = sum(holdouts.held_out(30) for _ in range(20_000)) / 20_000
    assert 0.27 < share < 0.33, share


# What members are told


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_about_says_what_is_held_back_and_why(app, clock, visitor) -> None:
    page = _text((await visitor.get("/about")).text)
    assert "Finding out whether it helps" not in page  # both shares are 0 here
    await set_norm(app, clock, "holdouts.cards_percent", 15)
    page = _text((await visitor.get("/about")).text)
    assert (
        "some are left out on purpose: for 15 % of the replies where a card would appear "
        "above the reply box, it is not shown. Which ones is chosen at random" in page
    )
    assert "second look at harsh words, it is not shown" not in page
    assert "every post and reply still waits its time." in page
    await set_norm(app, clock, "holdouts.nudges_percent", 5)
    page = _text((await visitor.get("/about")).text)
    assert (
        "for 15 % of the replies where a card would appear above the reply box, and for 5 % "
        "of the times Porch would ask for a second look at harsh words, it is not shown." in page
    )
    assert (
        "The pause is never left out: every post and reply still waits its time, and a "
        "reply whose second look was left out waits as long as one posted as written." in page
    )
    assert "admins see only counts, never names or words" in page
    await set_norm(app, clock, "holdouts.cards_percent", 0)
    await set_norm(app, clock, "holdouts.nudges_percent", 0)
    assert "Finding out whether it helps" not in (await visitor.get("/about")).text
