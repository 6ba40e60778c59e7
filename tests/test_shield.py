"""The pile-on shield: a surge of strangers' replies raises it; while up, strangers wait
for the author's approval and their notifications are gathered into one; the author
turns it off, or it ends by itself."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import (
    Actor,
    Interaction,
    Notification,
    NotificationKind,
    PileOnShield,
    Post,
    Quote,
)
from server.services import (
    accounts,
    follows,
    norms,
    policy_reads,
    posting_rules,
    posts,
    publishing,
    shields,
)
from server.services.errors import NotFound
from server.services.interaction_policies import Decision
from server.services.posts import Composition
from tests.conftest import PASSWORD

STRANGERS = [f"stranger{i}" for i in range(5)]


@dataclass
class World:
    app: Starlette
    clock: FrozenClock

    async def member(self, name: str) -> Actor:
        async with self.app.state.sessions() as session:
            made = await accounts.create_member(
                session,
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
                now=self.clock.now(),
            )
            return made.actor

    async def actor(self, name: str) -> Actor:
        async with self.app.state.sessions() as session:
            return await accounts.local_actor(session, name)

    async def norm(self, name: str, value: str) -> None:
        async with self.app.state.sessions() as session:
            await norms.change(
                session,
                self.app.state.settings,
                name,
                value,
                reason="tests",
                actor_id=None,
                now=self.clock.now(),
            )

    async def post(self, name: str, text: str, reply_to: int | None = None) -> int:
        """`name` writes `text` and it goes out after its pause."""
        async with self.app.state.sessions() as session:
            rules = posting_rules.rules(
                await norms.current(session, self.app.state.settings),
                self.app.state.settings.base_url,
            )
            post = await posts.compose(
                session,
                self.app.state.jobs,
                self.app.state.remote_lookup,
                await accounts.local_actor(session, name),
                Composition(text, in_reply_to_id=reply_to),
                rules,
                self.clock.now(),
            )
            post_id = post.id
        self.clock.advance(120)
        async with self.app.state.sessions() as session:
            assert await publishing.publish(session, post_id, self.clock.now())
        return post_id

    async def follow(self, follower: str, followed: str) -> None:
        async with self.app.state.sessions() as session:
            a = await accounts.local_actor(session, follower)
            b = await accounts.local_actor(session, followed)
            await follows.follow(session, a, b, self.clock.now())

    async def shields(self) -> list[PileOnShield]:
        async with self.app.state.sessions() as session:
            return list((await session.exec(select(PileOnShield))).all())

    async def told(self, name: str) -> list[tuple[str, str]]:
        """`name`'s notifications but follows: (kind, sender's username), oldest first."""
        async with self.app.state.sessions() as session:
            me = await accounts.local_actor(session, name)
            rows = await session.exec(
                select(Notification.kind, Actor.username)
                .join(Actor, col(Actor.id) == Notification.from_actor_id)
                .where(Notification.recipient_id == me.id, Notification.kind != "follow")
                .order_by(col(Notification.id))
            )
            return [(str(kind), str(who)) for kind, who in rows.all()]

    async def decision(self, name: str, post_id: int, interaction: Interaction) -> Decision:
        async with self.app.state.sessions() as session:
            post = await session.get(Post, post_id)
            assert post is not None
            actor = await accounts.local_actor(session, name)
            default = policy_reads.community_default(
                await norms.current(session, self.app.state.settings)
            )
            return await policy_reads.decision(
                session, post, actor, interaction, default, self.clock.now()
            )


@pytest.fixture
async def world(app: Starlette, clock: FrozenClock) -> World:
    """Ana, Ben who follows her, and five strangers; the shield trips at three."""
    found = World(app, clock)
    for name in ["ana", "ben", *STRANGERS]:
        await found.member(name)
    await found.follow("ben", "ana")
    await found.norm("shield.strangers", "3")
    return found


async def test_three_strangers_replying_raise_the_shield_and_two_do_not(world: World) -> None:
    """Ana asks about pineapple; Ben (a follower) and two strangers answer: no shield. A
    third stranger makes the surge, and Ana is told once."""
    root = await world.post("ana", "Pineapple on pizza?")
    await world.post("ben", "Yes!", root)
    await world.post("stranger0", "No.", root)
    await world.post("stranger1", "Never.", root)
    assert await world.shields() == []

    await world.post("stranger2", "Disgusting.", root)
    [shield] = await world.shields()
    assert shield.post_id == root and shield.strangers == 3
    assert (shield.ends_at - shield.started_at).total_seconds() == 24 * 3600
    told = await world.told("ana")
    # Ben's and the first two strangers' replies, then the shield instead of the third.
    assert told == [
        ("reply", "ben"),
        ("reply", "stranger0"),
        ("reply", "stranger1"),
        ("pile_on_shield", "ana"),
    ]


async def test_strangers_replying_far_apart_are_no_surge(world: World) -> None:
    root = await world.post("ana", "A slow thread")
    for name in STRANGERS[:3]:
        await world.post(name, "A thought", root)
        world.clock.advance(3600)  # more than the hour's window between each
    assert await world.shields() == []


async def test_followers_never_count_and_the_shield_can_be_switched_off_by_norm(
    world: World,
) -> None:
    for name in STRANGERS[:3]:
        await world.follow(name, "ana")
    root = await world.post("ana", "For my friends")
    for name in STRANGERS[:3]:
        await world.post(name, "Hello", root)
    assert await world.shields() == []

    await world.norm("shield.mode", "off")
    other = await world.post("ana", "Another")
    for name in STRANGERS[3:] + ["ben"]:
        await world.post(name, "Hi", other)
    assert await world.shields() == []


async def test_while_up_strangers_wait_for_approval_and_are_gathered(world: World) -> None:
    root = await world.post("ana", "Pineapple on pizza?")
    for name in STRANGERS[:3]:
        await world.post(name, "No.", root)
    # A fourth and fifth stranger: their replies wait for Ana, and tell her nothing new.
    assert await world.decision("stranger3", root, Interaction.reply) is Decision.manual
    assert await world.decision("stranger3", root, Interaction.quote) is Decision.manual
    assert await world.decision("stranger3", root, Interaction.like) is Decision.automatic
    assert await world.decision("ben", root, Interaction.reply) is Decision.automatic
    await world.post("stranger3", "Also no.", root)
    await world.post("stranger4", "Mention @ana", root)
    await world.post("ben", "Ignore them, Ana", root)
    told = await world.told("ana")
    assert told[-2:] == [("pile_on_shield", "ana"), ("reply", "ben")]
    [shield] = await world.shields()
    assert shield.gathered == 3  # the reply that raised it, and the two after
    async with world.app.state.sessions() as session:
        assert await shields.strangers_seen(session, shield, world.clock.now()) == 5


async def test_the_author_turns_it_off_and_strangers_reply_freely_again(world: World) -> None:
    root = await world.post("ana", "Pineapple on pizza?")
    for name in STRANGERS[:3]:
        await world.post(name, "No.", root)
    ana, ben = await world.actor("ana"), await world.actor("ben")
    async with world.app.state.sessions() as session:
        assert ben.id is not None and ana.id is not None
        with pytest.raises(NotFound):
            await shields.turn_off(session, ben.id, root, world.clock.now())
        await shields.turn_off(session, ana.id, root, world.clock.now())
        with pytest.raises(NotFound, match="not up"):
            await shields.turn_off(session, ana.id, root, world.clock.now())
    [shield] = await world.shields()
    assert shield.ended_by == "author" and shield.ended_at == world.clock.now()
    assert await world.decision("stranger3", root, Interaction.reply) is Decision.automatic
    await world.post("stranger3", "Still no.", root)
    assert (await world.told("ana"))[-1] == ("reply", "stranger3")
    # Turned off, it stays off for this surge: the same strangers do not raise it again
    # until a new surge of the window's size comes after it.
    assert len(await world.shields()) == 1


async def test_it_ends_by_itself_after_the_norms_hours(world: World) -> None:
    await world.norm("shield.hours", "2")
    root = await world.post("ana", "Pineapple on pizza?")
    for name in STRANGERS[:3]:
        await world.post(name, "No.", root)
    assert await world.decision("stranger3", root, Interaction.reply) is Decision.manual
    world.clock.advance(2 * 3600)
    assert await world.decision("stranger3", root, Interaction.reply) is Decision.automatic
    async with world.app.state.sessions() as session:
        assert await shields.up_on(session, root, world.clock.now()) is None


async def test_a_quote_of_the_post_counts_towards_the_surge(world: World) -> None:
    """Two strangers reply; a third quotes Ana's post (stored as quoting services store
    it) and the quoting side tells the shield: that makes three."""
    root = await world.post("ana", "Pineapple on pizza?")
    for name in STRANGERS[:2]:
        await world.post(name, "No.", root)
    quoting = await world.post("stranger2", "Look at this take")
    async with world.app.state.sessions() as session:
        session.add(Quote(post_id=quoting, quoted_post_id=root, quoted_uri=f"urn:post:{root}"))
        await session.flush()
        post = await session.get(Post, root)
        quoter = await accounts.local_actor(session, "stranger2")
        assert post is not None and quoter.id is not None
        shield = await shields.noticed(session, post, quoter.id, world.clock.now())
        await session.commit()
    assert shield is not None and shield.strangers == 3
    assert [s.post_id for s in await world.shields()] == [root]


async def test_approval_notifications_from_strangers_are_gathered_too(world: World) -> None:
    """Whoever writes a notification about the thread (a reply waiting for approval, a
    quote) asks `sift`: while the shield is up, strangers' go into it; Ben's do not."""
    root = await world.post("ana", "Pineapple on pizza?")
    for name in STRANGERS[:3]:
        await world.post(name, "No.", root)
    async with world.app.state.sessions() as session:
        post = await session.get(Post, root)
        ana = await accounts.local_actor(session, "ana")
        ben = await accounts.local_actor(session, "ben")
        stranger = await accounts.local_actor(session, "stranger4")
        assert post is not None and ana.id is not None and ben.id and stranger.id
        told = [(ana.id, NotificationKind.pending_reply), (ben.id, NotificationKind.mention)]
        kept = await shields.sift(session, post, stranger.id, told, world.clock.now())
        assert kept == [(ben.id, NotificationKind.mention)]
        from_ben = await shields.sift(session, post, ben.id, told[:1], world.clock.now())
        assert from_ben == told[:1]
        likes = [(ana.id, NotificationKind.favourite)]
        assert await shields.sift(session, post, stranger.id, likes, world.clock.now()) == likes
        await session.commit()
    [shield] = await world.shields()
    assert shield.gathered == 2  # the reply that raised it, and the waiting one
