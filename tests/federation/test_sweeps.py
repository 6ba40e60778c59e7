"""Sweeps that overlap (two workers, a worker restarting with rows due) send each delivery
once and publish each post once; deliveries that can never land are not retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import col, func, select
from starlette.applications import Starlette

from federation.delivery import deliver_due, permanent
from federation.fetch import BlockedAddress, FetchError
from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from server.jobs import publish_due
from server.models import (
    Actor,
    Delivery,
    DeliveryState,
    OutboxItem,
    OutboxKind,
    Post,
    PostState,
)
from tests.conftest import Person, client_for, sign_up


class Inboxes(httpx.AsyncBaseTransport):
    """Every remote inbox: records each POST, and answers with the status set per host."""

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.status: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.posted.append(str(request.url))
        status = self.status.get(request.url.host, 202)
        headers = {"Location": "https://elsewhere.example/inbox"} if status < 400 else {}
        return httpx.Response(status, headers=headers)


@dataclass
class Porch:
    app: Starlette
    #: A second process on the same database (a second worker, or `serve --workers 2`).
    twin: Starlette
    inboxes: Inboxes
    clock: FrozenClock
    ana: Person

    async def ana_id(self) -> int:
        async with self.app.state.sessions() as session:
            found = await session.exec(select(Actor.id).where(col(Actor.username) == "ana"))
            return int(found.one())

    async def queue(self, *inbox_urls: str) -> list[int]:
        """Ana's activity, due now for each inbox; returns the delivery ids."""
        actor_id = await self.ana_id()
        now = self.clock.now()
        async with self.app.state.sessions() as session:
            item = OutboxItem(kind=OutboxKind.create, actor_id=actor_id, created_at=now)
            session.add(item)
            await session.flush()
            assert item.id is not None
            rows = [
                Delivery(
                    outbox_item_id=item.id,
                    actor_id=actor_id,
                    inbox_url=url,
                    domain=httpx.URL(url).host,
                    body='{"type":"Create"}',
                    created_at=now,
                    next_attempt_at=now,
                )
                for url in inbox_urls
            ]
            session.add_all(rows)
            await session.commit()
            return [r.id for r in rows if r.id is not None]

    async def deliveries(self) -> list[Delivery]:
        async with self.app.state.sessions() as session:
            return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


@pytest.fixture
async def porch(settings: Settings, clock: FrozenClock) -> AsyncIterator[Porch]:
    """Ana on a Porch whose deliveries all go to the recorded `inboxes`."""
    inboxes = Inboxes()
    app, twin = (
        create_app(
            settings,
            clock=clock,
            apply_migrations=False,
            run_jobs=False,
            federation_transport=inboxes,
        )
        for _ in range(2)
    )
    async with app.router.lifespan_context(app), twin.router.lifespan_context(twin):
        ana = await sign_up(client_for(app), "ana")
        yield Porch(app, twin, inboxes, clock, ana)
        await ana.client.aclose()


async def test_two_sweepers_at_once_send_each_delivery_once(porch: Porch) -> None:
    one, other = porch.app.state.federation, porch.twin.state.federation
    sent = 0
    for round_ in range(3):
        inboxes = [f"https://server{n}.example/inbox" for n in range(round_ * 20, round_ * 20 + 20)]
        await porch.queue(*inboxes)

        sent += sum(await asyncio.gather(deliver_due(one), deliver_due(other), deliver_due(one)))

        assert sorted(porch.inboxes.posted[-20:]) == sorted(inboxes)
    assert len(porch.inboxes.posted) == sent == 60
    assert {d.state for d in await porch.deliveries()} == {DeliveryState.delivered}
    assert {d.attempts for d in await porch.deliveries()} == {1}


async def test_a_retried_delivery_due_for_two_sweepers_at_once_is_sent_once(
    porch: Porch,
) -> None:
    """A delivery that failed once comes due again while two sweepers (two workers)
    look: one claims it, the other leaves it, and it is sent once more, not twice."""
    inbox = "https://slow.example/inbox"
    await porch.queue(inbox)
    fed = porch.app.state.federation
    porch.inboxes.status["slow.example"] = 503  # the first attempt fails: retried later
    assert await deliver_due(fed) == 0
    [row] = await porch.deliveries()
    assert row.state == DeliveryState.pending and row.attempts == 1

    porch.clock.advance((row.next_attempt_at - porch.clock.now()).total_seconds())
    porch.inboxes.status.pop("slow.example")
    await asyncio.gather(deliver_due(fed), deliver_due(porch.twin.state.federation))
    assert porch.inboxes.posted == [inbox, inbox]
    [row] = await porch.deliveries()
    assert row.state == DeliveryState.delivered and row.attempts == 2


async def test_two_publish_sweeps_at_once_publish_each_post_once(porch: Porch) -> None:
    ids = [await porch.ana.post(f"Post number {n}") for n in range(5)]
    porch.clock.advance(31)
    sessions, clock = porch.app.state.sessions, porch.clock

    first, second = await asyncio.gather(
        publish_due(sessions, clock), publish_due(porch.twin.state.sessions, clock)
    )

    assert first + second == len(ids)
    async with sessions() as session:
        states = (await session.exec(select(Post.state).where(col(Post.id).in_(ids)))).all()
        creates = await session.exec(
            select(func.count()).select_from(OutboxItem).where(col(OutboxItem.post_id).in_(ids))
        )
        assert set(states) == {PostState.published}
        assert creates.one() == len(ids)


# What is never retried


def test_refused_addresses_and_redirects_are_permanent_failures() -> None:
    assert permanent(BlockedAddress("10.0.0.1 is a private address"))
    for status in (301, 302, 307, 308, 400, 403, 404, 410, 422):
        assert permanent(FetchError(f"answered {status}", status=status)), status
    for status in (401, 408, 429, 500, 502, 503):
        temporary = status != 401
        assert not permanent(FetchError("", status=status, temporary=temporary)), status
    assert not permanent(FetchError("timed out", temporary=True))


async def test_a_delivery_to_a_refused_address_fails_at_once(porch: Porch) -> None:
    await porch.queue("https://10.0.0.1/inbox")
    await deliver_due(porch.app.state.federation)
    [row] = await porch.deliveries()
    assert row.state == DeliveryState.failed and row.attempts == 1
    assert "10.0.0.1" in row.last_error
    assert porch.inboxes.posted == []  # refused before anything was sent


async def test_a_delivery_answered_with_a_redirect_fails_at_once(porch: Porch) -> None:
    await porch.queue("https://moved.example/inbox")
    porch.inboxes.status["moved.example"] = 301
    await deliver_due(porch.app.state.federation)
    [row] = await porch.deliveries()
    assert row.state == DeliveryState.failed and row.attempts == 1 and row.last_status == 301
    assert porch.inboxes.posted == ["https://moved.example/inbox"]  # never followed
