"""Reaching people elsewhere from every door: Ana on porch-a.test writes to Ben on
porch-b.test from an app and from the web, and he is linked, addressed and told.

porch-a.test (where the lookups are made and stored) runs on SQLite and on PostgreSQL;
porch-b.test on SQLite.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.clock import FrozenClock
from server.services import accounts, oauth_tokens
from tests.federation.conftest import Fediverse, Instance, World, start_instance
from tests.federation.test_flows import find_and_follow

A, B = "porch-a.test", "porch-b.test"
BEN = f"https://{B}/users/ben"


@pytest.fixture
async def world(tmp_path: Path, sqlite_template: Path, database_url: str) -> AsyncIterator[World]:
    """porch-a.test on the database under test and porch-b.test, sharing a clock and a
    network."""
    net, clock = Fediverse(), FrozenClock()
    instances: dict[str, Instance] = {}
    async with AsyncExitStack() as stack:
        for domain, url in ((A, database_url), (B, None)):
            app = await start_instance(stack, tmp_path, sqlite_template, domain, net, clock, url)
            instances[domain] = Instance(domain, app)
        yield World(net, clock, instances)
        for instance in instances.values():
            for person in instance.people.values():
                await person.client.aclose()


async def app_for(world: World, username: str) -> httpx.AsyncClient:
    """An app signed in as `username` on porch-a.test, as Ana's phone would be."""
    a = world.instances[A]
    async with a.app.state.sessions() as session:
        member = await accounts.local_member(session, username)
        assert member.member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.member.id, "Ana's phone", "read write", world.clock.now()
        )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=a.app),
        base_url=a.base,
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )


def sent_to_b(world: World, kind: str) -> list[dict[str, Any]]:
    """The activities of `kind` porch-a.test delivered to porch-b.test."""
    found = [json.loads(body) for url, body in world.net.posts if url.startswith(f"https://{B}/")]
    return [activity for activity in found if activity.get("type") == kind]


def mentions_in(activity: dict[str, Any]) -> list[str]:
    return [t["href"] for t in activity["object"]["tag"] if t["type"] == "Mention"]


async def test_a_post_from_an_app_links_and_reaches_someone_never_seen(world: World) -> None:
    """Ana's app posts to @ben@porch-b.test, whom porch-a.test has never heard of."""
    await world.instances[A].sign_up("ana")
    ben = await world.instances[B].sign_up("ben")
    async with await app_for(world, "ana") as phone:
        answer = await phone.post(
            "/api/v1/statuses", data={"status": "@ben@porch-b.test tea on the porch tonight?"}
        )
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert [m["acct"] for m in status["mentions"]] == ["ben@porch-b.test"]
    assert f'href="https://{B}/@ben"' in status["content"]

    await world.settle(31)
    [create] = sent_to_b(world, "Create")
    assert mentions_in(create) == [BEN]
    assert BEN in create["object"]["cc"]
    notes = await ben.client.get("/notifications")
    assert "mentioned you" in notes.text and "tea on the porch tonight?" in notes.text


async def test_an_edit_from_an_app_reaches_someone_never_seen(world: World) -> None:
    """During the pause Ana's app adds @ben@porch-b.test to her post."""
    await world.instances[A].sign_up("ana")
    ben = await world.instances[B].sign_up("ben")
    async with await app_for(world, "ana") as phone:
        posted = await phone.post("/api/v1/statuses", data={"status": "Tea tonight?"})
        assert posted.status_code == 200, posted.text
        edited = await phone.put(
            f"/api/v1/statuses/{posted.json()['id']}",
            data={"status": "Tea tonight, @ben@porch-b.test?"},
        )
    assert edited.status_code == 200, edited.text
    assert [m["acct"] for m in edited.json()["mentions"]] == ["ben@porch-b.test"]

    await world.settle(31)
    [create] = sent_to_b(world, "Create")
    assert mentions_in(create) == [BEN]
    notes = await ben.client.get("/notifications")
    assert "mentioned you" in notes.text


async def test_a_web_reply_to_someone_elsewhere_mentions_them(world: World) -> None:
    """Ana follows Ben, and answers his post with the reply button on the web."""
    a, b = world.instances[A], world.instances[B]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    await ben.post("Who is coming for tea?")
    await world.settle(31)
    home = await ana.client.get("/")
    local_id = re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text)
    assert local_id, "Ben's post did not reach Ana's timeline"

    composer = await ana.client.get("/compose", params={"reply_to": local_id.group(1)})
    typed = re.search(r'<textarea id="text"[^>]*>([^<]*)</textarea>', composer.text)
    assert typed is not None
    assert html.unescape(typed.group(1)) == "@ben@porch-b.test "
    await ana.post(html.unescape(typed.group(1)) + "Me!", reply_to=int(local_id.group(1)))
    await world.settle(31)

    [reply] = sent_to_b(world, "Create")
    assert mentions_in(reply) == [BEN]
    assert BEN in reply["object"]["to"] + reply["object"]["cc"]
    notes = await ben.client.get("/notifications")
    assert "replied to your post" in notes.text
