"""A seeded story of members changing their minds, and checks that every feed equals
its rebuild and gives the pages the computed timeline gives."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, FeedFloor, Follow, MemberState, PersonList, Post
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
            me, them = await actor_in(session, a), await actor_in(session, b)
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


async def actor_in(session, name: str) -> Actor:
    return (await session.exec(select(Actor).where(Actor.username == name))).one()


@pytest.fixture(name="five")
async def five_members(app: Starlette, people: dict[str, Person]):
    more = {name: await sign_up(client_for(app), name) for name in ("dan", "eve")}
    yield {**people, **more}
    for person in more.values():
        await person.client.aclose()
