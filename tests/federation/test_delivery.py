"""Deliveries survive servers that are down, and give up on servers that say no."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import select

from federation.delivery import MAX_ATTEMPTS, retry_delay
from server.models import Delivery, DeliveryState, Domain
from tests.federation.conftest import World
from tests.federation.test_flows import find_and_follow, post_ids_on


def test_the_retry_schedule_grows_and_ends_after_about_two_days() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS)]
    for attempt, delay in enumerate(delays, start=1):
        base = attempt**4 + 15  # Mastodon's schedule, with up to half again as jitter
        assert delay is not None and base <= delay.total_seconds() <= base * 1.5
    assert timedelta(days=1) < sum((d for d in delays if d), timedelta()) < timedelta(days=4)
    assert retry_delay(MAX_ATTEMPTS) is None


async def deliveries(world: World, domain: str) -> list[Delivery]:
    async with world.instances[domain].app.state.sessions() as session:
        return list((await session.exec(select(Delivery))).all())


async def test_a_post_waits_for_a_server_that_is_down_and_arrives_when_it_is_back(
    world: World,
) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()

    away = world.net.apps.pop("porch-a.test")  # porch-a.test goes offline
    await ben.post("Are you there?")
    await world.settle(31)
    [row] = [d for d in await deliveries(world, "porch-b.test") if "Are you there" in d.body]
    assert row.state == DeliveryState.pending and row.attempts == 1 and row.last_error

    world.net.apps["porch-a.test"] = away  # back online; the retry is due within a minute
    await world.settle(60)
    [row] = [d for d in await deliveries(world, "porch-b.test") if d.id == row.id]
    assert row.state == DeliveryState.delivered and row.attempts == 2
    assert len(await post_ids_on(world, "porch-a.test")) == 1
    async with b.app.state.sessions() as session:
        known = await session.get(Domain, "porch-a.test")
    assert known is not None and known.last_success_at is not None


async def test_a_server_that_refuses_is_not_asked_again(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    # porch-a.test no longer knows Ana: her inbox answers 404 from now on.
    async with a.app.state.sessions() as session:
        from server.models import Member, MemberState

        member = (await session.exec(select(Member))).one()
        member.state = MemberState.suspended
        session.add(member)
        await session.commit()
    async with b.app.state.sessions() as session:
        from server.models import Actor

        ana = (await session.exec(select(Actor).where(Actor.username == "ana"))).one()
        ana.shared_inbox_url = None  # deliver to her own inbox, which is gone
        session.add(ana)
        await session.commit()
    await ben.post("Hello?")
    await world.settle(31)
    [row] = [d for d in await deliveries(world, "porch-b.test") if "Hello?" in d.body]
    assert row.state == DeliveryState.failed and row.attempts == 1
    assert row.last_status == 404


async def test_a_server_failing_for_a_week_is_skipped_until_it_answers(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    from server.services import domains

    async with b.app.state.sessions() as session:
        for day in range(7):
            await domains.record_exhausted(session, "porch-a.test", world.clock.now())
            world.clock.advance(86400)
            assert (day < 6) == ("porch-a.test" not in await domains.unavailable(session))
    await ben.post("Into the void")
    await world.settle(31)
    assert not [d for d in await deliveries(world, "porch-b.test") if "Into the void" in d.body]
    assert await post_ids_on(world, "porch-a.test") == []

    # porch-a.test writes to porch-b.test again (a signed POST): it is back.
    async with b.app.state.sessions() as session:
        await domains.record_success(session, "porch-a.test", world.clock.now())
        assert "porch-a.test" not in await domains.unavailable(session)
