"""Counter rows: every like, boost, reply, delete and follow moves its counts at once, and
the rows always equal a recount of the data (`porch counters rebuild`)."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import shutil
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, text
from sqlmodel import select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, ActorCounter, Post, PostCounter
from server.services import (
    accounts,
    blocks,
    counters,
    follows,
    posts,
    reactions,
    remote_actors,
    remote_posts,
    stats,
)
from server.services.errors import ServiceError
from tests.conftest import Person, publish_due
from tests.test_cli import porch
from tests.test_exactly_once import bearer
from tests.test_remote_posts import note

VISIBILITIES = ("public", "unlisted", "followers", "direct")
MIGRATION = Path(__file__).parents[1] / "migrations" / "versions" / "0010_counters.py"


async def snapshot(app: Starlette) -> tuple[dict[int, Any], dict[int, Any]]:
    """Every counter row with something in it."""
    async with app.state.sessions() as session:
        post_rows = (await session.exec(select(PostCounter))).all()
        actor_rows = (await session.exec(select(ActorCounter))).all()
    found_posts = {
        r.post_id: (r.replies_count, r.reblogs_count, r.favourites_count)
        for r in post_rows
        if (r.replies_count, r.reblogs_count, r.favourites_count) != (0, 0, 0)
    }
    found_actors = {
        r.actor_id: (r.statuses_count, r.followers_count, r.following_count, r.last_status_at)
        for r in actor_rows
        if (r.statuses_count, r.followers_count, r.following_count) != (0, 0, 0)
    }
    return found_posts, found_actors


async def assert_counters_equal_a_recount(app: Starlette) -> None:
    kept = await snapshot(app)
    async with app.state.sessions() as session:
        await counters.rebuild(session)
    assert kept == await snapshot(app)


async def test_counters_equal_a_recount_after_a_random_day(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana, Ben and Cleo post, reply, like, boost, take back, delete, follow, unfollow and
    block in a seeded random order; the counter rows then equal a recount exactly."""
    chance = random.Random(15)
    names = list(people)
    published: list[int] = []
    async with app.state.sessions() as session:
        ids = {n: (await accounts.local_actor(session, n)).id for n in names}
    for n in names:
        published.append(await people[n].post(f"{n} says hello"))
    await publish_due(app, clock, 31)
    for _ in range(70):
        who = chance.choice(names)
        other = chance.choice([n for n in names if n != who])
        post_id = chance.choice(published)
        action = chance.choice(
            ["reply", "like", "like", "unlike", "boost", "unboost", "delete", "follow"]
            + ["follow", "unfollow", "block"]
        )
        if action == "reply":
            try:
                made = await people[who].post(
                    f"{who} answers",
                    visibility=chance.choice(VISIBILITIES),
                    reply_to=post_id,
                )
            except AssertionError:
                continue  # the post went out of sight, or a block stands between them
            await publish_due(app, clock, 31)
            published.append(made)
            continue
        async with app.state.sessions() as session:
            me = await session.get(Actor, ids[who])
            them = await session.get(Actor, ids[other])
            assert me is not None and them is not None
            now = clock.now()
            try:
                if action == "like":
                    await reactions.like(session, me, post_id, now)
                elif action == "unlike":
                    await reactions.unlike(session, me, post_id, now)
                elif action == "boost":
                    await reactions.boost(session, me, post_id, now)
                elif action == "unboost":
                    await reactions.unboost(session, me, post_id, now)
                elif action == "delete":
                    post = await session.get(Post, post_id)
                    assert post is not None
                    if post.actor_id == me.id and post.reblog_of_id is None:
                        await posts.delete_published(session, me, post_id, now)
                elif action == "follow":
                    await follows.follow(session, me, them, now)
                elif action == "unfollow":
                    await follows.unfollow(session, me, them, now)
                elif action == "block" and chance.random() < 0.3:
                    await blocks.block(session, me, them, now)
                    await blocks.unblock(session, me, them, now)
            except ServiceError:
                await session.rollback()
        clock.advance(1)
    found_posts, found_actors = await snapshot(app)
    assert found_posts and found_actors  # the day left something to count
    await assert_counters_equal_a_recount(app)


async def test_each_change_moves_the_counts_shown_by_stats(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben likes, boosts and answers Ana's post, then takes each back."""
    post_id = await people["ana"].post("Soup is ready")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        ben = await accounts.local_actor(session, "ben")
        assert ana.id is not None and ben.id is not None
        await reactions.like(session, ben, post_id, clock.now())
        await reactions.boost(session, ben, post_id, clock.now())
        await follows.follow(session, ben, ana, clock.now())
    reply = await people["ben"].post("Coming!", reply_to=post_id)
    hidden = await people["cleo"].post(
        "Only for my followers", reply_to=post_id, visibility="followers"
    )
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        figures = (await stats.of_posts(session, [post_id]))[post_id]
        people_figures = await stats.of_accounts(session, [ana.id, ben.id])
    # Cleo's followers-only reply is not counted: the number reveals no private post.
    assert (figures.favourites, figures.reblogs, figures.replies) == (1, 1, 1)
    assert (people_figures[ana.id].statuses, people_figures[ana.id].followers) == (1, 1)
    assert people_figures[ben.id].statuses == 2  # the boost and the reply
    assert people_figures[ben.id].following == 1
    assert people_figures[ben.id].last_status_at is not None
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        ben = await accounts.local_actor(session, "ben")
        await reactions.unlike(session, ben, post_id, clock.now())
        await reactions.unboost(session, ben, post_id, clock.now())
        await posts.delete_published(session, ben, reply, clock.now())
        await blocks.block(session, ana, ben, clock.now())  # ends Ben's follow
        figures = (await stats.of_posts(session, [post_id]))[post_id]
        people_figures = await stats.of_accounts(session, [ana.id, ben.id])
    assert (figures.favourites, figures.reblogs, figures.replies) == (0, 0, 0)
    assert people_figures[ana.id].followers == 0
    assert people_figures[ben.id].statuses == 0
    assert people_figures[ben.id].last_status_at is None
    assert hidden
    await assert_counters_equal_a_recount(app)


async def test_likes_sent_at_once_by_many_people_are_all_counted(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben and Cleo like Ana's post from two apps each at the same moment."""
    post_id = await people["ana"].post("Sunrise")
    await publish_due(app, clock, 31)
    clients = [await bearer(app, n, clock) for n in ("ben", "cleo", "ben", "cleo", "ana")]
    answers = await asyncio.gather(
        *(c.post(f"/api/v1/statuses/{post_id}/favourite") for c in clients)
    )
    for client in clients:
        await client.aclose()
    assert [a.status_code for a in answers] == [200] * 5
    async with app.state.sessions() as session:
        assert (await stats.of_posts(session, [post_id]))[post_id].favourites == 3
    await assert_counters_equal_a_recount(app)


async def test_a_remote_post_and_account_removed_by_their_server_leave_exact_counts(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Zoe on mastodon.test answers Ana, boosts and likes her post, and Ben follows
    Zoe; then Zoe's server deletes her reply, and later her account."""
    post_id = await people["ana"].post("Anyone up for chess?")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        zoe = Actor(
            username="zoe",
            domain="mastodon.test",
            acct_key="zoe@mastodon.test",
            uri="https://mastodon.test/users/zoe",
        )
        session.add(zoe)
        await session.commit()
        ben = await accounts.local_actor(session, "ben")
        await follows.follow(session, ben, zoe, clock.now())
        found = await follows.find(session, ben.id or 0, zoe.id or 0)
        assert found is not None
        await follows.accepted_by_remote(session, found)
        answer = replace(note(1, clock.now() - timedelta(seconds=5)), in_reply_to_id=post_id)
        reply = await remote_posts.ingest(session, zoe, answer, clock.now())
        other = await remote_posts.ingest(session, zoe, note(2, clock.now()), clock.now())
        await reactions.boost(session, ben, other.id, clock.now())
        await reactions.like(session, zoe, post_id, clock.now())
        await reactions.boost(session, zoe, post_id, clock.now())
        figures = (await stats.of_posts(session, [post_id]))[post_id]
        assert (figures.replies, figures.favourites, figures.reblogs) == (1, 1, 1)
    await assert_counters_equal_a_recount(app)
    async with app.state.sessions() as session:
        reply = await session.get(Post, reply.id)
        other = await session.get(Post, other.id)
        assert reply is not None and other is not None
        await remote_posts.remove(session, reply, clock.now())
        await remote_posts.remove(session, other, clock.now())  # Ben's boost of it goes too
        ben = await accounts.local_actor(session, "ben")
        figures = (await stats.of_posts(session, [post_id]))[post_id]
        assert figures.replies == 0
        assert (await stats.of_accounts(session, [ben.id or 0]))[ben.id or 0].statuses == 0
    await assert_counters_equal_a_recount(app)
    async with app.state.sessions() as session:
        zoe = (await session.exec(select(Actor).where(Actor.username == "zoe"))).one()
        await remote_actors.remove(session, zoe, clock.now())
        ben = await accounts.local_actor(session, "ben")
        figures = (await stats.of_posts(session, [post_id]))[post_id]
        assert (figures.favourites, figures.reblogs) == (0, 0)
        assert (await stats.of_accounts(session, [ben.id or 0]))[ben.id or 0].following == 0
        assert (await session.get(Post, post_id)) is not None
    await assert_counters_equal_a_recount(app)


def test_the_rebuild_command_recounts_counts_gone_wrong(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """An admin restored a backup taken mid-change: Ana's count says 99 posts. The
    command recounts it from the posts (she has none)."""
    shutil.copy(sqlite_template, tmp_path / "porch.db")
    made = porch(tmp_path, "user", "create", "ana", "--email", "ana@example.com")
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "porch.db") as db:
        db.execute("INSERT INTO actor_counters VALUES (1, 99, 0, 0, NULL)")
    done = porch(tmp_path, "counters", "rebuild")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Recounted the counts of 0 posts and 0 people in ")
    with sqlite3.connect(tmp_path / "porch.db") as db:
        assert db.execute("SELECT count(*) FROM actor_counters").fetchone() == (0,)


async def test_two_people_following_each_other_at_once_both_count(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana and Ben follow each other from two apps each at the same moment: every
    request succeeds and each of them has one follower and follows one person."""
    async with app.state.sessions() as session:
        ids = {n: (await accounts.local_actor(session, n)).id for n in ("ana", "ben")}
    clients = [await bearer(app, n, clock) for n in ("ana", "ben", "ana", "ben")]
    targets = [ids["ben"], ids["ana"], ids["ben"], ids["ana"]]
    answers = await asyncio.gather(
        *(c.post(f"/api/v1/accounts/{t}/follow") for c, t in zip(clients, targets, strict=True))
    )
    for client in clients:
        await client.aclose()
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    async with app.state.sessions() as session:
        figures = await stats.of_accounts(session, [ids["ana"] or 0, ids["ben"] or 0])
    assert {(f.followers, f.following) for f in figures.values()} == {(1, 1)}
    await assert_counters_equal_a_recount(app)


async def test_the_migration_backfill_counts_what_the_services_count(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """An existing community upgrades: the SQL in migration 0010 fills the rows with
    exactly the counts the services keep (replies of every visibility, likes, boosts,
    deletes and follows among them)."""
    await people["ben"].follow("ana")
    await people["cleo"].follow("ana")
    post_id = await people["ana"].post("Garden party on Sunday")
    await publish_due(app, clock, 31)
    for visibility in VISIBILITIES:
        await people["ben"].post(f"Coming ({visibility})", reply_to=post_id, visibility=visibility)
    gone = await people["cleo"].post("Maybe", reply_to=post_id)
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        ben = await accounts.local_actor(session, "ben")
        cleo = await accounts.local_actor(session, "cleo")
        await reactions.like(session, ben, post_id, clock.now())
        await reactions.boost(session, cleo, post_id, clock.now())
        await posts.delete_published(session, cleo, gone, clock.now())
    kept = await snapshot(app)
    spec = importlib.util.spec_from_file_location("counters_0010", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    async with app.state.sessions() as session:
        await session.exec(delete(PostCounter))
        await session.exec(delete(ActorCounter))
        await session.exec(text(migration.BACKFILL_POSTS))
        await session.exec(text(migration.BACKFILL_ACTORS))
        await session.commit()
    assert await snapshot(app) == kept
    assert kept[0][post_id] == (
        2,
        1,
        1,
    )  # the public and unlisted replies, Cleo's boost, Ben's like
