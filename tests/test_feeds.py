"""Home and list feeds kept as rows: who gets a row, the next read after every change,
the bound, and that a wrong row never shows."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import FeedEntry, MemberState
from server.services import (
    accounts,
    blocks,
    feeds,
    follows,
    lists,
    mutes,
    posts,
    timelines,
)
from server.services.paging import Window
from tests.conftest import Person, publish_due
from tests.feed_story import (
    actor,
    actor_in,
    feed_of,
    five_members,  # noqa: F401  (the `five` fixture)
    home_ids,
    list_ids,
)


async def test_a_page_reads_the_feed_and_pages_past_it_read_the_posts(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "SIZE", 4)
    monkeypatch.setattr(feeds, "TRIM_EVERY", 1)
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    written = []
    for n in range(9):
        written.append(await ana.post(f"Post number {n}"))
        await publish_due(app, clock, 31)
    newest_first = list(reversed(written))
    kept = await feed_of(app, "ben")
    assert kept == newest_first[:4]  # the bound
    assert await home_ids(app, clock, "ben") == newest_first  # all nine, across it
    async with app.state.sessions() as session:
        ben_actor = await actor(app, "ben")
        first = await timelines.home(session, ben_actor, clock.now(), Window(3))
        second = await timelines.home(
            session, ben_actor, clock.now(), Window(3, max_id=first.next_max_id)
        )
        third = await timelines.home(
            session, ben_actor, clock.now(), Window(3, max_id=second.next_max_id)
        )
    assert [v.post.id for v in first.items] == newest_first[:3]  # the feed alone
    assert [v.post.id for v in second.items] == newest_first[3:6]  # feed, then computed
    assert [v.post.id for v in third.items] == newest_first[6:9]  # computed alone


async def test_who_gets_a_row(app: Starlette, clock: FrozenClock, five: dict[str, Person]) -> None:
    ana, ben, cleo = five["ana"], five["ben"], five["cleo"]
    for person in (ben, cleo):
        await person.follow("ana")
    async with app.state.sessions() as session:
        ana_actor, dan_actor = await actor_in(session, "ana"), await actor_in(session, "dan")
        # Ana locks her account: Dan's follow stays a request, and then she refuses it.
        ana_actor.locked = True
        session.add(ana_actor)
        await session.commit()
        await follows.follow(session, dan_actor, ana_actor, clock.now())
    pending = await ana.post("Still in its pause")
    assert await feed_of(app, "ana") == [pending]  # its author sees it...
    for name in ("ben", "cleo", "dan", "eve"):
        assert pending not in await feed_of(app, name)  # ...and nobody else
    friends = await ana.post("For my followers", visibility="followers")
    secret = await ana.post("@cleo a secret", visibility="direct")
    await publish_due(app, clock, 31)
    assert set(await feed_of(app, "ben")) == {pending, friends}
    assert set(await feed_of(app, "cleo")) == {pending, friends, secret}
    assert await feed_of(app, "dan") == []  # a request is not a follow
    assert await feed_of(app, "eve") == []
    async with app.state.sessions() as session:
        await follows.answer_request(
            session, await actor_in(session, "ana"), dan_actor.id or 0, False, clock.now()
        )
    assert await feed_of(app, "dan") == []


async def test_the_next_read_shows_every_change(
    app: Starlette, clock: FrozenClock, five: dict[str, Person]
) -> None:
    ana, ben = five["ana"], five["ben"]
    await ben.follow("ana")
    async with app.state.sessions() as session:
        ben_actor = await actor_in(session, "ben")
        chosen = await lists.create(
            session,
            ben_actor.id or 0,
            title="Ana",
            replies_policy=None,
            exclusive=False,
            now=clock.now(),
        )
        await lists.add(
            session, ben_actor.id or 0, chosen.id or 0, [(await actor(app, "ana")).id or 0]
        )
    post = await ana.post("Hello Ben")
    await publish_due(app, clock, 31)
    assert post in await home_ids(app, clock, "ben")
    assert post in await list_ids(app, "ben", chosen.id or 0)

    async def gone() -> bool:
        return post not in await home_ids(app, clock, "ben") and post not in await list_ids(
            app, "ben", chosen.id or 0
        )

    # A mute, for a minute: gone at once, back when it runs out.
    async with app.state.sessions() as session:
        ana_actor, ben_actor = await actor_in(session, "ana"), await actor_in(session, "ben")
        await mutes.mute(session, ben_actor, ana_actor, clock.now(), duration=60)
    assert post not in await home_ids(app, clock, "ben")
    clock.advance(61)
    assert post in await home_ids(app, clock, "ben")
    # Suspension and reinstatement.
    async with app.state.sessions() as session:
        await accounts.set_state(session, "ana", MemberState.suspended, clock.now())
    assert await gone()
    async with app.state.sessions() as session:
        await accounts.set_state(session, "ana", MemberState.active, clock.now())
    assert post in await home_ids(app, clock, "ben")
    assert post in await list_ids(app, "ben", chosen.id or 0)
    # Deletion.
    async with app.state.sessions() as session:
        await posts.delete_published(session, await actor_in(session, "ana"), post, clock.now())
    assert await gone()
    # Unfollow, then block both ways.
    await ana.log_in()
    second = await ana.post("Another")
    await publish_due(app, clock, 31)
    post = second
    assert post in await home_ids(app, clock, "ben")
    async with app.state.sessions() as session:
        await follows.unfollow(
            session, await actor_in(session, "ben"), await actor_in(session, "ana"), clock.now()
        )
    assert await gone()
    await ben.follow("ana")
    assert post in await home_ids(app, clock, "ben")  # the follow brings her posts back
    async with app.state.sessions() as session:
        await blocks.block(
            session, await actor_in(session, "ana"), await actor_in(session, "ben"), clock.now()
        )
    assert post not in await home_ids(app, clock, "ben")
    assert await feed_of(app, "ben") == []


async def test_an_edit_in_the_pause_that_narrows_who_sees_a_post_takes_it_out(
    app: Starlette, clock: FrozenClock, five: dict[str, Person]
) -> None:
    ana, ben, cleo = five["ana"], five["ben"], five["cleo"]
    for person in (ben, cleo):
        await person.follow("ana")
    post = await ana.post("@cleo everyone may read this")
    form = {"text": "@cleo only you now", "visibility": "direct", "spoiler_text": ""}
    await ana.client.post(f"/posts/{post}/edit", data={**form, "csrf_token": await ana.token()})
    await publish_due(app, clock, 31)
    assert post not in await home_ids(app, clock, "ben")
    assert post not in await feed_of(app, "ben")
    assert post in await home_ids(app, clock, "cleo")


async def test_a_row_the_owner_may_not_see_is_never_shown(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Defense in depth: a row written by mistake makes a page short, it never leaks."""
    ana = people["ana"]
    secret = await ana.post("For my followers", visibility="followers")
    await publish_due(app, clock, 31)
    ana_actor, ben_actor = await actor(app, "ana"), await actor(app, "ben")
    async with app.state.sessions() as session:
        await session.exec(
            insert(FeedEntry).values(
                owner_id=ben_actor.id, feed=feeds.HOME, post_id=secret, author_id=ana_actor.id
            )
        )
        await session.commit()
    assert await feed_of(app, "ben") == [secret]
    assert await home_ids(app, clock, "ben") == []
    assert "For my followers" not in (await people["ben"].client.get("/api/v1/timelines/home")).text
