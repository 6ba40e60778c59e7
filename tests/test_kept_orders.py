"""Opening Conversations again within moments reads the order ranked for the member a
moment ago, instead of ranking anew; anything that changes who they may see (a follow,
an unfollow, a block, a mute, an exclusive list, their own new post) ranks anew on the
next open, in this process and, through Redis, in another; and a reused order never
shows what the member may no longer see."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from sqlmodel import func, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Block, Mute, Post, PostState, RankedSnapshot
from server.services import accounts, blocks, follows, lists, mutes, publishing
from server.services.kept_orders import REUSE_FOR
from tests.conftest import Person, client_for, publish_due, sign_up
from tests.statements import statements
from tests.test_conversations import _order


async def newest(app: Starlette) -> int:
    """The newest ranked order's id (a new one is made each time an order is ranked)."""
    async with app.state.sessions() as session:
        return int((await session.exec(select(func.max(RankedSnapshot.id)))).one() or 0)


async def opened(app: Starlette, person: Person) -> tuple[list[int], int]:
    """What `person` sees on opening Conversations, and the order it came from."""
    answer = await person.client.get("/")
    assert answer.status_code == 200
    assert 'value="conversations" class="tab" aria-current="page"' in answer.text
    return _order(answer.text), await newest(app)


async def ana_follows_ben_who_posted(app: Starlette, clock: FrozenClock, people) -> int:
    await people["ana"].follow("ben")
    post = await people["ben"].post("Seedlings are up: six tomatoes and two peppers.")
    await publish_due(app, clock, 31)
    return post


async def change(app: Starlette, what: str, who: str, whom: str, now) -> None:
    """`who` follows, unfollows, blocks or mutes `whom`, as the pages and the API do."""
    async with app.state.sessions() as session:
        me = (await accounts.local_member(session, who)).actor
        them = (await accounts.local_member(session, whom)).actor
        if what == "follow":
            await follows.follow(session, me, them, now)
        elif what == "unfollow":
            await follows.unfollow(session, me, them, now)
        elif what == "block":
            await blocks.block(session, me, them, now)
        else:
            await mutes.mute(session, me, them, now)


async def test_a_second_open_within_moments_reads_the_same_order_and_later_ranks_anew(
    app, clock, people
) -> None:
    post = await ana_follows_ben_who_posted(app, clock, people)
    ana = people["ana"]
    seen, first = await opened(app, ana)
    assert seen == [post]
    clock.advance(REUSE_FOR.total_seconds() - 1)
    with statements(app.state.engine) as sent:
        seen, again = await opened(app, ana)
    assert (seen, again) == ([post], first)
    # No ranking (relations, candidate threads), no new order written.
    assert not [s for s in sent if "thread_signals" in s or s.startswith(("INSERT", "DELETE"))]
    clock.advance(1)
    seen, later = await opened(app, ana)
    assert seen == [post] and later > first


@pytest.mark.parametrize("what", ["follow", "unfollow", "block", "mute"])
async def test_a_change_to_who_the_reader_sees_ranks_anew_on_the_next_open(
    app, clock, people, what: str
) -> None:
    post = await ana_follows_ben_who_posted(app, clock, people)
    cleo = await people["cleo"].post("Rain all week: the beans are happy.")
    await publish_due(app, clock, 31)
    ana = people["ana"]
    seen, first = await opened(app, ana)
    assert seen == [post]
    whom = "cleo" if what == "follow" else "ben"
    await change(app, what, "ana", whom, clock.now())
    seen, after = await opened(app, ana)
    assert after > first
    assert sorted(seen) == (sorted([cleo, post]) if what == "follow" else [])


async def test_someone_blocking_the_reader_ranks_anew_for_both(app, clock, people) -> None:
    await ana_follows_ben_who_posted(app, clock, people)
    _, first = await opened(app, people["ana"])
    await change(app, "block", "ben", "ana", clock.now())
    seen, after = await opened(app, people["ana"])
    assert after > first and seen == []


async def test_an_exclusive_list_ranks_anew(app, clock, people) -> None:
    post = await ana_follows_ben_who_posted(app, clock, people)
    seen, first = await opened(app, people["ana"])
    assert seen == [post]
    async with app.state.sessions() as session:
        ana = (await accounts.local_member(session, "ana")).actor
        ben = (await accounts.local_member(session, "ben")).actor
        assert ana.id is not None and ben.id is not None
        garden = await lists.create(
            session, ana.id, title="Garden", replies_policy=None, exclusive=False, now=clock.now()
        )
        assert garden.id is not None
        await lists.add(session, ana.id, garden.id, [ben.id])
    seen, same = await opened(app, people["ana"])
    assert same == first  # a list that is not exclusive changes nothing here
    async with app.state.sessions() as session:
        await lists.change(
            session, ana.id, garden.id, title=None, replies_policy=None, exclusive=True
        )
    seen, after = await opened(app, people["ana"])
    assert after > first and seen == []


async def test_the_readers_own_new_post_ranks_anew(app, clock, people) -> None:
    post = await ana_follows_ben_who_posted(app, clock, people)
    ana = people["ana"]
    mine = await ana.post("Mine are only just sprouting.")
    clock.advance(29)
    page = (await ana.client.get("/")).text
    assert _order(page) == [mine, post]  # pending, shown above the order
    first = await newest(app)
    await publish_due(app, clock, 1)
    seen, after = await opened(app, ana)
    assert after > first and seen == [mine, post]


async def test_a_reused_order_never_shows_a_muted_or_blocked_persons_thread(
    app, clock, people
) -> None:
    """Even when no event told of the mute or block (written straight to the database)."""
    post = await ana_follows_ben_who_posted(app, clock, people)
    cleo_post = await people["cleo"].post("Slugs got the lettuce again.")
    await publish_due(app, clock, 31)
    await change(app, "follow", "ana", "cleo", clock.now())
    ana = people["ana"]
    seen, first = await opened(app, ana)
    assert sorted(seen) == sorted([post, cleo_post])
    async with app.state.sessions() as session:
        me = (await accounts.local_member(session, "ana")).actor.id
        ben = (await accounts.local_member(session, "ben")).actor.id
        cleo = (await accounts.local_member(session, "cleo")).actor.id
        assert me is not None and ben is not None and cleo is not None
        session.add(Mute(actor_id=me, target_id=ben, notifications=True, created_at=clock.now()))
        session.add(Block(actor_id=cleo, target_id=me, created_at=clock.now()))
        await session.commit()
    seen, again = await opened(app, ana)
    assert again == first and seen == []


async def test_a_reused_order_never_shows_a_deleted_or_narrowed_post(app, clock, people) -> None:
    """Cleo's thread is in Ana's order because Ben, whom Ana follows, talks there; once
    Cleo narrows it to her followers, or it is deleted, Ana's reused order drops it."""
    await people["ana"].follow("ben")
    cleo_post = await people["cleo"].post("Who else is saving seeds this year?")
    await publish_due(app, clock, 31)
    ben_reply = await people["ben"].post("Me! Beans and squash.", reply_to=cleo_post)
    ben_post = await people["ben"].post("Potatoes in the ground at last.")
    await publish_due(app, clock, 31)
    ana = people["ana"]
    seen, first = await opened(app, ana)
    assert cleo_post in seen and ben_post in seen
    async with app.state.sessions() as session:
        await session.exec(update(Post).where(Post.id == cleo_post).values(visibility="followers"))
        await session.commit()
    seen, again = await opened(app, ana)
    assert again == first and cleo_post not in seen and ben_post in seen
    async with app.state.sessions() as session:
        await session.exec(update(Post).where(Post.id == ben_post).values(state=PostState.deleted))
        await session.commit()
    seen, again = await opened(app, ana)
    assert again == first and ben_post not in seen and ben_reply not in seen


async def forgotten(app: Starlette) -> None:
    while len(app.state.orders):
        await asyncio.sleep(0.01)


async def test_a_mute_on_one_process_ranks_anew_on_the_other(
    two_processes: tuple[Starlette, Starlette], clock: FrozenClock
) -> None:
    one, two = two_processes
    async with client_for(one) as on_one, client_for(two) as on_two:
        await sign_up(on_one, "ben")
        ben = Person("ben", on_one)
        ana = await sign_up(on_two, "ana")
        await ana.follow("ben")
        post = await ben.post("First radishes, peppery and small.")
        clock.advance(31)
        async with one.state.sessions() as session:  # as the worker does when it is due
            assert await publishing.publish(session, post, clock.now())
        seen, first = await opened(two, ana)
        assert seen == [post] and len(two.state.orders) == 1
        assert (await opened(two, ana))[1] == first
        await change(one, "mute", "ana", "ben", clock.now())
        await asyncio.wait_for(forgotten(two), 5)
        seen, after = await opened(two, ana)
        assert after > first and seen == []
