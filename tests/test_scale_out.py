"""Several processes share one community: two `porch serve` web processes and two
`porch worker` processes against one PostgreSQL database and one Redis, as compose.yaml
runs them. Everything goes through real processes and real HTTP.

Needs PostgreSQL and Redis (PORCH_TEST_POSTGRES_URL, PORCH_TEST_REDIS_URL); in CI their
absence fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis import Redis as SyncRedis
from sqlalchemy import func
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from server import ROOT
from server.models import (
    Actor,
    Delivery,
    Follow,
    Notification,
    OutboxItem,
    OutboxKind,
    Post,
    PostState,
    ScheduledPublish,
)
from tests.conftest import POSTGRES_URL, REDIS_URL, csrf_from, need_service, sign_up
from tests.processes import (
    Community,
    Stream,
    scratch_database,
    start_process,
    stop_processes,
    wait_healthy,
)
from tests.test_outages import closed_port, eventually

PAUSE = 1  # seconds: a FrozenClock cannot be moved in another process
LOGIN_LIMIT = 3
CACHE_SECONDS = 1.0
AS2 = "application/activity+json"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Community]:
    """The processes, started once for this module's stories (each uses its own members)."""
    need_service("postgres", POSTGRES_URL)
    need_service("redis", REDIS_URL)
    SyncRedis.from_url(REDIS_URL).flushdb()
    tmp_path = tmp_path_factory.mktemp("scale-out")
    port_a, port_b = closed_port(), closed_port()
    with scratch_database() as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORCH_")}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            PORCH_DATA_DIR=str(tmp_path / "data"),  # shared, as compose's volume
            PORCH_DATABASE_URL=database_url,
            PORCH_REDIS_URL=REDIS_URL,
            PORCH_DOMAIN=f"localhost:{port_a}",
            PORCH_SECRET_KEY="scale-out-secret-" + "x" * 40,
            PORCH_REGISTRATION_MODE="open",
            PORCH_PAUSE_POST_SECONDS=str(PAUSE),
            PORCH_PAUSE_REPLY_SECONDS=str(PAUSE),
            PORCH_LOGIN_ATTEMPTS_PER_5MIN=str(LOGIN_LIMIT),
            PORCH_PUBLIC_CACHE_SECONDS=str(CACHE_SECONDS),
            # Cards and nudges shown every time, as the other tests expect.
            PORCH_HOLDOUT_CARDS_PERCENT="0",
            PORCH_HOLDOUT_NUDGES_PERCENT="0",
        )
        migrated = subprocess.run(
            [sys.executable, "-m", "server.cli", "migrate"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        town = Community(f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", env)
        serve = ["serve", "--host", "127.0.0.1", "--log-level", "warning", "--port"]
        try:
            town.processes = [
                start_process("web-a", [*serve, str(port_a)], env, tmp_path),
                start_process("web-b", [*serve, str(port_b)], env, tmp_path),
                start_process("worker-1", ["worker"], env, tmp_path),
                start_process("worker-2", ["worker"], env, tmp_path),
            ]
            for base in (town.a, town.b):
                wait_healthy(base, town.processes)
            yield town
            town.alive()
        finally:
            stop_processes(town.processes)
    for process in town.processes:
        assert "Traceback" not in process.said(), f"{process.name}:\n{process.said()}"


@pytest.fixture
async def community(town: Community) -> AsyncIterator[Community]:
    """The town, with a connection to its database for the test to look at the rows."""
    town.engine = create_async_engine(town.env["PORCH_DATABASE_URL"])
    try:
        yield town
    finally:
        await town.close_clients()
        await town.engine.dispose()


async def _remote_follower(town: Community, of: str) -> None:
    """Zoe, on another server, follows `of`: each post of theirs is one delivery to her
    inbox (an address the delivery guard refuses, so it fails at once, once)."""
    async with town.session() as session:
        followed = (await session.exec(select(Actor).where(Actor.username == of))).one()
        zoe = Actor(
            username="zoe",
            domain="far.example",
            acct_key="zoe@far.example",
            uri="https://far.example/users/zoe",
            inbox_url="https://127.0.0.1:9/users/zoe/inbox",
        )
        session.add(zoe)
        await session.flush()
        assert zoe.id is not None and followed.id is not None
        session.add(Follow(follower_id=zoe.id, followed_id=followed.id))
        await session.commit()


async def _published(town: Community, post_ids: list[int]) -> bool:
    town.alive()
    async with town.session() as session:
        rows = await session.exec(select(Post.state).where(col(Post.id).in_(post_ids)))
        return [str(s) for s in rows.all()] == [PostState.published] * len(post_ids)


async def test_two_web_processes_and_two_workers_share_one_community(
    community: Community,
) -> None:
    """Ana (on web B) and Ben (on web A) post; two workers race to publish each post
    when its pause ends. Each is published once: one outbox row, one delivery to Zoe's
    inbox, one notification for the member it mentions. Ben's app, streaming from
    web A, hears of Ana's posts, published by a worker after she wrote them on web B."""
    town = community
    ana = await sign_up(town.client(town.b), "ana")
    ben = await sign_up(town.client(town.a), "ben")
    await ben.follow("ana")
    await _remote_follower(town, "ana")
    ben_token = await town.token("ben")

    async with Stream(town.a, ben_token) as bens_app:
        anas = [await ana.post(f"Morning {n}, @ben") for n in range(3)]
        bens = [await ben.post(f"Evening {n}, @ana") for n in range(3)]
        every = anas + bens
        await eventually(lambda: _published(town, every), "all six posts published", 30)

        async def heard() -> bool:
            return {str(i) for i in anas} <= set(bens_app.updates)

        await eventually(heard, "Ben's stream on A heard Ana's posts published elsewhere")

    async with town.session() as session:
        for post_id in every:
            creates = await session.exec(
                select(func.count())
                .select_from(OutboxItem)
                .where(col(OutboxItem.post_id) == post_id, OutboxItem.kind == OutboxKind.create)
            )
            assert creates.one() == 1, f"post {post_id} went out more than once"
            notified = await session.exec(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.post_id) == post_id)
            )
            assert notified.one() == 1, f"post {post_id} notified more than once"
        assert (await session.exec(select(ScheduledPublish))).all() == []

    async def delivered_once() -> bool:
        async with town.session() as session:
            rows = (
                await session.exec(
                    select(Delivery.outbox_item_id, Delivery.attempts, Delivery.state).where(
                        Delivery.inbox_url == "https://127.0.0.1:9/users/zoe/inbox"
                    )
                )
            ).all()
        finished = [r for r in rows if str(r[2]) != "pending"]
        return len(finished) == len(anas)

    await eventually(delivered_once, "one delivery to Zoe per post of Ana's")
    async with town.session() as session:
        rows = (await session.exec(select(Delivery.outbox_item_id, Delivery.attempts))).all()
    assert len(rows) == len(anas) and len({r[0] for r in rows}) == len(anas)
    assert {r[1] for r in rows} == {1}  # refused once, never sent twice


async def test_login_attempts_count_across_web_processes(community: Community) -> None:
    """Someone guessing Cleo's password on web A, then on web B, meets one limit."""
    town = community
    await sign_up(town.client(town.a), "cleo")

    async def attempt(base: str) -> int:
        async with town.client(base) as guesser:
            token = await csrf_from(guesser, "/login")
            answer = await guesser.post(
                "/login", data={"login": "cleo", "password": "wrong", "csrf_token": token}
            )
            return answer.status_code

    on_a = [await attempt(town.a) for _ in range(LOGIN_LIMIT)]
    assert on_a == [422] * LOGIN_LIMIT
    assert await attempt(town.b) == 429


async def test_a_session_made_on_one_process_is_honoured_by_the_other(
    community: Community,
) -> None:
    """Dee signs up on web A; her cookie opens her pages on web B, and logging out on B
    ends it on A as well (sessions are rows, not process memory)."""
    town = community
    dee = await sign_up(town.client(town.a), "dee")
    cookies = dee.client.cookies
    async with town.client(town.b) as on_b:
        on_b.cookies = cookies
        assert (await on_b.get("/settings/profile")).status_code == 200
        token = await csrf_from(on_b, "/")
        assert (await on_b.post("/logout", data={"csrf_token": token})).status_code == 303
    dee.client.cookies = cookies
    assert (await dee.client.get("/settings/profile")).status_code in (302, 303)


async def test_a_logged_out_page_cached_on_one_process_follows_a_change_on_another(
    community: Community,
) -> None:
    """Each web process keeps public pages for logged-out visitors a documented short
    while (PORCH_PUBLIC_CACHE_SECONDS). Eve deletes a post through web B; a visitor on
    web A, who saw it a moment before, no longer sees it once that while is over."""
    town = community
    eve = await sign_up(town.client(town.b), "eve")
    post_id = await eve.post("Soon gone")
    await eventually(lambda: _published(town, [post_id]), "Eve's post published")
    async with town.client(town.a) as visitor:
        assert "Soon gone" in (await visitor.get(f"/@eve/{post_id}")).text
        token = await eve.token(f"/@eve/{post_id}")
        deleted = await eve.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
        assert deleted.status_code == 303
        gone_at = time.monotonic()

        async def gone() -> bool:
            return "Soon gone" not in (await visitor.get(f"/@eve/{post_id}")).text

        await eventually(gone, "the deletion shows on A", seconds=CACHE_SECONDS + 5)
        assert time.monotonic() - gone_at < CACHE_SECONDS + 2


async def test_a_profile_edit_on_one_process_shows_in_the_actor_document_of_the_other(
    community: Community,
) -> None:
    """A remote server fetches Fay's actor document from web B; Fay renames herself
    through web A; the very next fetch from B carries the new name."""
    town = community
    fay = await sign_up(town.client(town.a), "fay")
    fays_token = await town.token("fay")
    async with town.client(town.b) as remote:
        before = await remote.get("/users/fay", headers={"Accept": AS2})
        assert before.status_code == 200
        renamed = await fay.client.patch(
            "/api/v1/accounts/update_credentials",
            data={"display_name": "Fay the Renamed"},
            headers={"Authorization": f"Bearer {fays_token}"},
        )
        assert renamed.status_code == 200, renamed.text
        after = await remote.get("/users/fay", headers={"Accept": AS2})
        assert after.json()["name"] == "Fay the Renamed"
