"""Actor documents, WebFinger and collections answer under concurrent load, while
members change.

Other servers fetch a member's actor document to verify every signature, and fetch it
the moment they first hear of someone, often many at once. A single 500 there makes a
delivery fail, so these tests run a real server and fail on one 5xx.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from typing import Any

import httpx
from sqlmodel import func, select

from federation.signatures import HttpSignatureAuth, KeyPair
from server.models import ActorKey
from server.services import accounts, follows
from tests.api.conftest import Running, server, zoe_key  # noqa: F401 (fixtures)
from tests.federation.mastodon_double import ZOE_KEY_ID

CONNECTIONS = 16
REQUESTS_PER_CONNECTION = 50
AS2 = "application/activity+json"
MEMBERS = ("ana", "ben")


async def on_server(running: Running, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on the server's event loop, as a request handler there would."""
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, running.loop))


async def change_member(running: Running, name: str, other: str, turn: int) -> None:
    """`name` edits their profile and follows `other`, or stops following them."""
    now = running.clock.now()
    async with running.app.state.sessions() as session:
        me = await accounts.local_actor(session, name)
        await accounts.update_profile(session, me, bio=f"Round {turn}.", now=now)
        them = await accounts.local_actor(session, other)
        if await follows.find(session, me.id or 0, them.id or 0) is None:
            await follows.follow(session, me, them, now)
        else:
            await follows.unfollow(session, me, them, now)


async def change_members(running: Running, rounds: int) -> None:
    """Members edit their profiles and follow and unfollow each other meanwhile."""
    for turn in range(rounds):
        name, other = MEMBERS[turn % 2], MEMBERS[(turn + 1) % 2]
        await on_server(running, change_member(running, name, other, turn))


async def fetch_all(
    base: str, paths: list[tuple[str, str]], auth: httpx.Auth | None = None
) -> tuple[Counter[int], set[str]]:
    """Every (path, accept) fetched over CONNECTIONS keep-alive connections at once;
    the statuses, and the public keys the actor documents showed."""
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    pems: set[str] = set()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in paths:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60, auth=auth) as client:

        async def connection() -> None:
            while not queue.empty():
                path, accept = queue.get_nowait()
                try:
                    response = await client.get(path, headers={"accept": accept})
                except httpx.TransportError as exc:  # the server dropped the connection
                    failures.append(f"{path}: {exc!r}")
                    continue
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                elif "publicKey" in response.text:
                    pems.add(response.json()["publicKey"]["publicKeyPem"])

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}"
    return statuses, pems


async def key_counts(running: Running) -> list[int]:
    async with running.app.state.sessions() as session:
        query = select(func.count()).select_from(ActorKey).group_by(ActorKey.actor_id)
        return list((await session.exec(query)).all())


def test_new_members_documents_never_fail_when_many_servers_fetch_them_at_once(
    server: Running,  # noqa: F811
) -> None:
    # Ana and Ben have just joined: nobody has fetched them yet, so their
    # signing keys are made by whichever fetches come first, sixteen at a time, while
    # they edit their profiles and follow each other.
    for name in MEMBERS:
        server.member(name)
    host = server.base.split("//", 1)[1]
    paths = [
        (f"/users/{name}", AS2)
        if i % 2 == 0
        else (f"/.well-known/webfinger?resource=acct:{name}@{host}", "*/*")
        for i in range(CONNECTIONS * REQUESTS_PER_CONNECTION)
        for name in [MEMBERS[i // 2 % len(MEMBERS)]]
    ]

    async def load() -> tuple[Counter[int], set[str]]:
        fetched, _ = await asyncio.gather(fetch_all(server.base, paths), change_members(server, 40))
        return fetched

    statuses, pems = asyncio.run(load())

    assert statuses == {200: len(paths)}
    # Each of them has one key, and every document served showed it.
    assert server.run(key_counts(server)) == [1] * len(MEMBERS)
    assert len(pems) == len(MEMBERS)


def test_collections_never_fail_when_a_new_server_fetches_them_signed_at_once(
    server: Running,  # noqa: F811
    zoe_key: KeyPair,  # noqa: F811
) -> None:
    # Zoe's server has never written to Porch; it fetches Ana's outbox, followers and
    # following sixteen at a time, each signed by Zoe, so each request looks Zoe up.
    server.member("ana")
    # Porch has signed a fetch before (its instance key is made and kept), as any
    # instance that has met someone has.
    server.run(server.app.state.federation.instance_auth())
    auth = HttpSignatureAuth(ZOE_KEY_ID, zoe_key.private_pem, server.clock.now)
    collections = ("/users/ana/outbox?page=true", "/users/ana/followers", "/users/ana/following")
    paths = [(collections[i % 3], AS2) for i in range(CONNECTIONS * 4)]

    statuses, _ = asyncio.run(fetch_all(server.base, paths, auth))

    assert statuses == {200: len(paths)}
