"""Home and list feeds kept as rows: the pages they give are the pages the posts give, a
rebuild gives the same rows, and nothing reaches a feed its owner may not see."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.db import alembic_config
from server.models import Actor, FeedEntry, FeedFloor, Follow, MemberState, PersonList, Post
from server.services import (
    accounts,
    blocks,
    feed_rules,
    feeds,
    follows,
    lists,
    mutes,
    posts,
    reactions,
    timelines,
)
from server.services.errors import ServiceError
from server.services.paging import Window
from tests.conftest import Person, client_for, publish_due, sign_up

NAMES = ("ana", "ben", "cleo", "dan", "eve")
#: Every kind of change the random story must have made at least once.
STORY = (
    "post",
    "edit",
    "follow",
    "unfollow",
    "block",
    "unblock",
    "mute",
    "unmute",
    "list created",
    "list member added",
    "list member taken off",
    "list changed",
    "list removed",
    "delete",
    "withdraw",
    "boost",
    "unboost",
    "time passes",
    "suspend",
    "reinstate",
)


async def actor(app: Starlette, name: str) -> Actor:
    async with app.state.sessions() as session:
        return (await session.exec(select(Actor).where(Actor.username == name))).one()


async def feed_of(app: Starlette, name: str, feed: int = feeds.HOME) -> list[int]:
    async with app.state.sessions() as session:
        return await feeds.entries(session, (await actor(app, name)).id or 0, feed)


async def home_ids(app: Starlette, clock: FrozenClock, name: str, limit: int = 40) -> list[int]:
    async with app.state.sessions() as session:
        page = await timelines.home(session, await actor(app, name), clock.now(), Window(limit))
        return [v.post.id for v in page.items]


async def list_ids(app: Starlette, name: str, chosen: int) -> list[int]:
    async with app.state.sessions() as session:
        found = await session.get(PersonList, chosen)
        assert found is not None
        page = await timelines.of_list(session, await actor(app, name), found, Window(40))
        return [v.post.id for v in page.items]


async def walk(pages, window: Window) -> list[list[int]]:
    """Every page from `window` on, following next_max_id, as lists of ids."""
    out = []
    while True:
        page = await pages(window)
        out.append([v.post.id for v in page.items])
        if page.next_max_id is None:
            return out
        window = Window(window.limit, max_id=page.next_max_id)


async def assert_feeds_match(
    app: Starlette, now: datetime, *, exact: bool = True, pages: bool = True
) -> None:
    """Every member's feeds equal a rebuild from the posts (or, past the bound, the newest
    part of it), and their pages, in every direction, equal the computed timeline's."""
    async with app.state.sessions() as session:
        members = (await session.exec(select(Actor).where(col(Actor.domain).is_(None)))).all()
        for member in members:
            assert member.id is not None
            owned = (
                await session.exec(select(PersonList).where(PersonList.actor_id == member.id))
            ).all()
            chosen = [feeds.HOME] + [c.id for c in owned if c.id is not None]
            kept = {f: await feeds.entries(session, member.id, f) for f in chosen}
            async with app.state.sessions() as scratch:  # rebuilt, then rolled back
                await feeds.refeed(scratch, member.id)
                rebuilt = {f: await feeds.entries(scratch, member.id, f) for f in chosen}
                bound, feeds.SIZE = feeds.SIZE, 10**6
                await feeds.refeed(scratch, member.id)  # everything the member may see
                feeds.SIZE = bound
                everything = {f: await feeds.entries(scratch, member.id, f) for f in chosen}
                await scratch.rollback()
            floors = dict(
                (
                    await session.exec(
                        select(FeedFloor.feed, FeedFloor.floor).where(
                            FeedFloor.owner_id == member.id
                        )
                    )
                ).all()
            )
            for f in chosen:
                if exact:
                    assert kept[f] == rebuilt[f], (member.username, f)
                # The feed holds everything from its floor up, and no more than the bound.
                floor = floors.get(f, 0)
                assert kept[f] == [i for i in everything[f] if i >= floor], (member.username, f)
                assert len(kept[f]) <= feeds.SIZE + 2 * feeds.TRIM_EVERY
            if pages:
                await assert_pages_match(session, member, owned, now)


async def assert_pages_match(session, member: Actor, owned, now: datetime) -> None:
    """Home and each list page the same through the feed as computed from the posts,
    walking back page by page and from cursors either side."""
    assert member.id is not None
    muted = mutes.muted_ids(member.id, now)
    chosen = {feeds.HOME: None, **{c.id: c for c in owned}}
    for f, one in chosen.items():
        if one is None:
            rule = [*feed_rules.home(member.id), col(Post.actor_id).not_in(muted)]
        else:
            rule = feed_rules.of_list(member.id, one)

        async def read(window: Window, one=one) -> timelines.Page:
            if one is None:
                return await timelines.home(session, member, now, window)
            return await timelines.of_list(session, member, one, window)

        async def computed(window: Window, rule=rule) -> timelines.Page:
            return await timelines._page(session, member.id, rule, window)

        for window in (Window(3), Window(50)):
            assert await walk(read, window) == await walk(computed, window), (member.username, f)
        newest = (await computed(Window(50))).items
        for v in newest[::4]:
            for window in (
                Window(3, min_id=v.post.id),
                Window(3, since_id=v.post.id),
                Window(3, max_id=v.post.id),
            ):
                got = [x.post.id for x in (await read(window)).items]
                want = [x.post.id for x in (await computed(window)).items]
                assert got == want, (member.username, f, window)


class Community:
    """Five members changing their minds at random, as a seeded story."""

    def __init__(self, app: Starlette, clock: FrozenClock, people: dict[str, Person]) -> None:
        self.app, self.clock, self.people = app, clock, people
        self.suspended: set[str] = set()
        #: What the story did, so a test can say it covered every kind of change.
        self.done: Counter[str] = Counter()

    async def post(self, rng: random.Random) -> None:
        name = rng.choice([n for n in NAMES if n not in self.suspended])
        visibility = rng.choice(["public", "public", "unlisted", "followers", "direct"])
        text = f"@{rng.choice(NAMES)} hello {rng.random()}" if rng.random() < 0.5 else "hi"
        form = {"text": text, "visibility": visibility, "spoiler_text": ""}
        async with self.app.state.sessions() as session:
            published = (
                await session.exec(
                    select(Post.id).where(
                        Post.state == "published", col(Post.reblog_of_id).is_(None)
                    )
                )
            ).all()
        if published and rng.random() < 0.4:
            form["in_reply_to_id"] = str(rng.choice(published))
        person = self.people[name]
        response = await person.client.post(
            "/posts", data={**form, "csrf_token": await person.token()}
        )
        self.done["post"] += response.status_code == 303

    async def edit(self, rng: random.Random) -> None:
        async with self.app.state.sessions() as session:
            pending = (
                await session.exec(
                    select(Post.id, Actor.username).join(Actor).where(Post.state == "pending")
                )
            ).all()
        if not pending:
            return
        post_id, name = rng.choice(pending)
        if name in self.suspended:
            return
        person = self.people[name]
        form = {
            "text": f"@{rng.choice(NAMES)} changed",
            "visibility": rng.choice(["public", "followers", "direct"]),
            "spoiler_text": "",
            "csrf_token": await person.token(),
        }
        response = await person.client.post(f"/posts/{post_id}/edit", data=form)
        self.done["edit"] += response.status_code == 303

    async def step(self, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.22:
            return await self.post(rng)
        if roll < 0.32:
            await publish_due(self.app, self.clock, rng.choice([5, 31]))
            return None
        if roll < 0.37:
            return await self.edit(rng)
        a, b = rng.sample(NAMES, 2)
        now = self.clock.now()
        async with self.app.state.sessions() as session:
            me, them = await _actor_in(session, a), await _actor_in(session, b)
            assert me.id is not None and them.id is not None
            try:
                self.done[await self.relate(session, rng, roll, me, them, now)] += 1
            except ServiceError:
                await session.rollback()
        return None

    async def relate(self, session, rng, roll, me, them, now) -> str:
        """One change between two members (or to one's own lists and posts); its name."""
        owned = (await session.exec(select(PersonList).where(PersonList.actor_id == me.id))).all()
        mine = (await session.exec(select(Post).where(Post.actor_id == me.id))).all()
        followed = (
            await session.exec(
                select(Actor)
                .join(Follow, col(Follow.followed_id) == Actor.id)
                .where(Follow.follower_id == me.id)
            )
        ).all()
        if roll < 0.50:
            await follows.follow(session, me, them, now)
            return "follow"
        if roll < 0.55 and followed:
            await follows.unfollow(session, me, rng.choice(followed), now)
            return "unfollow"
        if roll < 0.58:
            await blocks.block(session, me, them, now)
            return "block"
        if roll < 0.61:
            await blocks.unblock(session, me, them, now)
            return "unblock"
        if roll < 0.64:
            await mutes.mute(session, me, them, now, duration=rng.choice([None, 60, 600]))
            return "mute"
        if roll < 0.66:
            await mutes.unmute(session, me, them, now)
            return "unmute"
        if roll < 0.69 or (roll < 0.81 and not owned):
            await lists.create(
                session,
                me.id,
                title="friends",
                replies_policy=rng.choice(["followed", "list", "none"]),
                exclusive=rng.random() < 0.5,
                now=now,
            )
            return "list created"
        if roll < 0.74 and followed:
            await lists.add(session, me.id, rng.choice(owned).id, [rng.choice(followed).id])
            return "list member added"
        if roll < 0.77:
            await lists.take_off(session, me.id, rng.choice(owned).id, [them.id])
            return "list member taken off"
        if roll < 0.80:
            await lists.change(
                session,
                me.id,
                rng.choice(owned).id,
                title=None,
                replies_policy=rng.choice(["followed", "list", "none"]),
                exclusive=rng.random() < 0.5,
            )
            return "list changed"
        if roll < 0.81:
            await lists.remove(session, me.id, rng.choice(owned).id)
            return "list removed"
        if roll < 0.89 and mine:
            boosts = [p for p in mine if p.reblog_of_id is not None]
            pending = [p for p in mine if p.state == "pending"]
            chosen = rng.choice(rng.choice([b for b in (boosts, pending, mine) if b]))
            if chosen.reblog_of_id is not None:
                await reactions.unboost(session, me, chosen.reblog_of_id, now)
                return "unboost"
            if chosen.state == "published":
                await posts.delete_published(session, me, chosen.id, now)
                return "delete"
            if chosen.state == "pending":
                await posts.withdraw(session, me, chosen.id, now)
                return "withdraw"
            return "nothing"
        if roll < 0.96:
            boosted = [p.reblog_of_id for p in mine if p.reblog_of_id is not None]
            if boosted and rng.random() < 0.4:
                await reactions.unboost(session, me, rng.choice(boosted), now)
                return "unboost"
            theirs = (
                await session.exec(
                    select(Post.id).where(
                        Post.actor_id == them.id,
                        Post.state == "published",
                        col(Post.visibility).in_(["public", "unlisted"]),
                        col(Post.reblog_of_id).is_(None),
                    )
                )
            ).all()
            if theirs:
                await reactions.boost(session, me, rng.choice(theirs), now)
                return "boost"
            return "nothing"
        if roll < 0.98:
            self.clock.advance(rng.choice([30, 300]))  # some mutes run out
            return "time passes"
        if self.suspended and rng.random() < 0.6:
            name = rng.choice(sorted(self.suspended))
            await accounts.set_state(session, name, MemberState.active, now)
            self.suspended.discard(name)
            await self.people[name].log_in()
            return "reinstate"
        if len(self.suspended) < 2 and them.username not in self.suspended:
            await accounts.set_state(session, them.username, MemberState.suspended, now)
            self.suspended.add(them.username)
            return "suspend"
        return "nothing"


async def _actor_in(session, name: str) -> Actor:
    return (await session.exec(select(Actor).where(Actor.username == name))).one()


@pytest.fixture
async def five(app: Starlette, people: dict[str, Person]):
    more = {name: await sign_up(client_for(app), name) for name in ("dan", "eve")}
    yield {**people, **more}
    for person in more.values():
        await person.client.aclose()


async def test_maintained_feeds_equal_a_rebuild_and_pages_equal_the_computed_timeline(
    app: Starlette, clock: FrozenClock, five: dict[str, Person]
) -> None:
    rng = random.Random(15)
    community = Community(app, clock, five)
    # Post ids carry random bits, so the story differs run to run: it goes on until it
    # has made every kind of change.
    for step in range(600):
        if step >= 200 and set(STORY) <= set(community.done):
            break
        await community.step(rng)
        # Rows right after the changes (a later rebuild of the member would hide a miss),
        # pages now and then.
        if step % 2:
            await assert_feeds_match(app, clock.now(), pages=step % 24 == 23)
    await publish_due(app, clock, 31)
    await assert_feeds_match(app, clock.now())
    assert set(STORY) <= set(community.done), set(STORY) - set(community.done)


async def test_past_the_bound_feeds_keep_the_newest_and_older_pages_are_computed(
    app: Starlette, clock: FrozenClock, five: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "SIZE", 5)
    monkeypatch.setattr(feeds, "TRIM_EVERY", 1)
    rng = random.Random(7)
    community = Community(app, clock, five)
    for step in range(120):
        await community.step(rng)
        if step % 20 == 19:
            await assert_feeds_match(app, clock.now(), exact=False)


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
        ana_actor, dan_actor = await _actor_in(session, "ana"), await _actor_in(session, "dan")
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
            session, await _actor_in(session, "ana"), dan_actor.id or 0, False, clock.now()
        )
    assert await feed_of(app, "dan") == []


async def test_the_next_read_shows_every_change(
    app: Starlette, clock: FrozenClock, five: dict[str, Person]
) -> None:
    ana, ben = five["ana"], five["ben"]
    await ben.follow("ana")
    async with app.state.sessions() as session:
        ben_actor = await _actor_in(session, "ben")
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
        ana_actor, ben_actor = await _actor_in(session, "ana"), await _actor_in(session, "ben")
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
        await posts.delete_published(session, await _actor_in(session, "ana"), post, clock.now())
    assert await gone()
    # Unfollow, then block both ways.
    await ana.log_in()
    second = await ana.post("Another")
    await publish_due(app, clock, 31)
    post = second
    assert post in await home_ids(app, clock, "ben")
    async with app.state.sessions() as session:
        await follows.unfollow(
            session, await _actor_in(session, "ben"), await _actor_in(session, "ana"), clock.now()
        )
    assert await gone()
    await ben.follow("ana")
    assert post in await home_ids(app, clock, "ben")  # the follow brings her posts back
    async with app.state.sessions() as session:
        await blocks.block(
            session, await _actor_in(session, "ana"), await _actor_in(session, "ben"), clock.now()
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


async def test_the_upgrade_fills_feeds_as_a_rebuild_would(
    app: Starlette, clock: FrozenClock, five: dict[str, Person], database_url: str
) -> None:
    rng = random.Random(3)
    community = Community(app, clock, five)
    for _ in range(60):
        await community.step(rng)
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: _alembic(c, database_url, "0008", down=True))
        await connection.run_sync(lambda c: _alembic(c, database_url, "head", down=False))
    await engine.dispose()
    await assert_feeds_match(app, clock.now())


def _alembic(connection, url: str, target: str, *, down: bool) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, target)
