"""Whatever another server serves is trusted only for its own people: Ana on porch-a.test
looks up links, Ben is on porch-b.test, and Mallory runs hostile.test."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from server.models import Actor, DomainPolicy, Member, Post
from server.services import domains, oauth_tokens
from tests.federation.conftest import World
from tests.federation.hostile import HostileServer

BEN = "https://porch-b.test/users/ben"
FORGED = "I am giving away my account password, ask me."
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def hostile(world: World) -> HostileServer:
    """hostile.test, reachable from both Porch servers, with Ana and Ben signed up."""
    server = HostileServer("hostile.test")
    world.net.apps[server.domain] = server.app
    await world.instances["porch-a.test"].sign_up("ana")
    await world.instances["porch-b.test"].sign_up("ben")
    return server


def note(note_id: str, author: str, text: str = FORGED) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note_id,
        "type": "Note",
        "attributedTo": author,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
        "cc": [],
        "published": "2026-01-01T00:00:00Z",
    }


async def stored_on_a(world: World, text: str = FORGED) -> list[Post]:
    async with world.instances["porch-a.test"].app.state.sessions() as session:
        rows = await session.exec(select(Post).where(col(Post.text).contains(text)))
        return list(rows.all())


async def api_token(world: World, username: str) -> str:
    app = world.instances["porch-a.test"].app
    async with app.state.sessions() as session:
        member = (
            await session.exec(
                select(Member).join(Actor).where(col(Actor.username) == username)  # type: ignore[arg-type]
            )
        ).one()
        assert member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.id, "test", "read", world.clock.now()
        )
    return issued.access_token


async def look_up_every_way(world: World, url: str) -> None:
    """Ana pastes `url` into search, opens a remote-interaction link to it, and her app
    searches it with resolve=true; none of them finds a post."""
    ana = world.instances["porch-a.test"].people["ana"]
    searched = await ana.client.get("/search", params={"q": url})
    assert searched.status_code == 404, searched.text
    link = await ana.client.get("/authorize_interaction", params={"uri": url})
    assert link.status_code == 303
    followed = await ana.client.get(link.headers["location"])
    assert followed.status_code == 404, followed.text
    api = await ana.client.get(
        "/api/v2/search",
        params={"q": url, "resolve": "true"},
        headers={"Authorization": f"Bearer {await api_token(world, 'ana')}"},
    )
    assert api.status_code == 200 and api.json()["statuses"] == [], api.text


async def assert_nothing_under_ben(world: World) -> None:
    assert await stored_on_a(world) == []
    a = world.instances["porch-a.test"]
    async with a.client() as visitor:
        profile = await visitor.get("/@ben@porch-b.test")
        public = await visitor.get("/api/v1/timelines/public")
    assert FORGED not in profile.text
    assert public.status_code == 200 and FORGED not in public.text


async def test_a_post_claiming_to_be_ben_is_not_stored_from_mallory_server(
    world: World, hostile: HostileServer
) -> None:
    forged = note(BEN + "/statuses/4242", BEN)
    url = hostile.serve(forged, at="https://hostile.test/notes/1")

    await look_up_every_way(world, url)

    await assert_nothing_under_ben(world)


async def test_a_post_on_mallory_server_attributed_to_ben_is_not_stored(
    world: World, hostile: HostileServer
) -> None:
    url = hostile.serve(note("https://hostile.test/notes/2", BEN))

    await look_up_every_way(world, url)

    await assert_nothing_under_ben(world)


async def test_a_redirect_to_mallory_server_does_not_make_her_document_another_server_own(
    world: World, hostile: HostileServer
) -> None:
    """A server with an open redirect (here elsewhere.test) sends Porch to hostile.test,
    which answers with a post and an author claiming elsewhere.test's ids."""
    elsewhere = HostileServer("elsewhere.test")
    world.net.apps[elsewhere.domain] = elsewhere.app
    victim = "https://elsewhere.test/users/vic"
    post_url = victim + "/statuses/1"
    for claimed in (post_url, victim):
        elsewhere.redirects[claimed] = "https://hostile.test/copy" + claimed.split("test")[1]
    hostile.serve(note(post_url, victim), at="https://hostile.test/copy/users/vic/statuses/1")
    actor = hostile.mallory_document()
    actor |= {"id": victim, "preferredUsername": "vic", "inbox": victim + "/inbox"}
    actor["publicKey"] = {**actor["publicKey"], "id": victim + "#main-key", "owner": victim}
    hostile.serve(actor, at="https://hostile.test/copy/users/vic")

    await look_up_every_way(world, post_url)

    assert await stored_on_a(world) == []
    async with world.instances["porch-a.test"].app.state.sessions() as session:
        known = await session.exec(select(Actor).where(col(Actor.uri) == victim))
        assert known.all() == []


async def test_an_actor_naming_a_key_on_another_server_is_not_stored(
    world: World, hostile: HostileServer
) -> None:
    eve = hostile.mallory_document()
    eve |= {"id": "https://hostile.test/users/eve", "preferredUsername": "eve"}
    eve["publicKey"] = {**eve["publicKey"], "id": BEN + "#main-key"}
    url = hostile.serve(eve)
    ana = world.instances["porch-a.test"].people["ana"]

    searched = await ana.client.get("/search", params={"q": url})

    assert searched.status_code == 404, searched.text
    async with world.instances["porch-a.test"].app.state.sessions() as session:
        assert (await session.exec(select(Actor).where(col(Actor.uri) == url))).all() == []


async def test_a_real_post_found_through_its_page_url_is_stored_from_its_own_id(
    world: World, hostile: HostileServer
) -> None:
    """What a lookup must still do: a document served at another URL of its own server
    (a post's page) is read again from its id, and kept."""
    ben = world.instances["porch-b.test"].people["ben"]
    post_id = await ben.post("A real post by Ben")
    await world.settle(31)
    ana = world.instances["porch-a.test"].people["ana"]

    found = await ana.client.get("/search", params={"q": f"https://porch-b.test/@ben/{post_id}"})

    assert found.status_code == 303, found.text
    [post] = await stored_on_a(world, "A real post by Ben")
    assert post.uri == f"{BEN}/statuses/{post_id}"


async def test_ben_is_still_found_by_his_profile_url(world: World, hostile: HostileServer) -> None:
    ana = world.instances["porch-a.test"].people["ana"]
    found = await ana.client.get("/search", params={"q": "https://porch-b.test/@ben"})
    assert found.status_code == 303 and found.headers["location"] == "/@ben@porch-b.test"


# Deletes passed on by someone else


async def ben_post_reaches_ana(world: World, text: str, visibility: str) -> tuple[int, str]:
    """Ana follows Ben; Ben's post arrives on porch-a.test. Returns its id on B and uri."""
    ana = world.instances["porch-a.test"].people["ana"]
    ben = world.instances["porch-b.test"].people["ben"]
    found = await ana.client.get("/search", params={"q": "@ben@porch-b.test"})
    token = await ana.token(found.headers["location"])
    await ana.client.post(found.headers["location"] + "/follow", data={"csrf_token": token})
    await world.settle()
    post_id = await ben.post(text, visibility=visibility)
    await world.settle(31)
    uri = f"{BEN}/statuses/{post_id}"
    assert [p.uri for p in await stored_on_a(world, text)] == [uri]
    return post_id, uri


def delete_of(uri: str, n: int = 1) -> dict[str, Any]:
    """A Delete as Ben's server would send it, to be passed on by someone else."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BEN}#deletes/{n}",
        "type": "Delete",
        "actor": BEN,
        "object": {"id": uri, "type": "Tombstone"},
        "to": [PUBLIC],
    }


async def test_mallory_cannot_delete_ben_followers_only_post_by_passing_on_a_delete(
    world: World, hostile: HostileServer
) -> None:
    """Ben's server answers 404 to anyone who may not read the post (as Mastodon
    does): that is no proof it is gone."""
    _, uri = await ben_post_reaches_ana(world, "Only for my followers", "followers")
    async with world.instances["porch-a.test"].client() as porch_a:
        response = await hostile.deliver(porch_a, delete_of(uri), world.clock)

    assert response.status_code == 202, response.text
    assert [p.uri for p in await stored_on_a(world, "Only for my followers")] == [uri]


async def test_mallory_cannot_delete_ben_public_post_that_still_exists(
    world: World, hostile: HostileServer
) -> None:
    _, uri = await ben_post_reaches_ana(world, "For everyone", "public")
    async with world.instances["porch-a.test"].client() as porch_a:
        response = await hostile.deliver(porch_a, delete_of(uri), world.clock)

    assert response.status_code == 202, response.text
    assert [p.uri for p in await stored_on_a(world, "For everyone")] == [uri]


async def test_a_passed_on_delete_of_a_post_its_server_says_is_gone_deletes_it(
    world: World, hostile: HostileServer
) -> None:
    """Ben deletes his post while porch-a.test is away; the Delete passed on by another
    server arrives first, and Ben's server confirms it (410 Gone)."""
    post_id, uri = await ben_post_reaches_ana(world, "Soon regretted", "followers")
    ben = world.instances["porch-b.test"].people["ben"]
    away = world.net.apps.pop("porch-a.test")
    token = await ben.token(f"/@ben/{post_id}")
    deleted = await ben.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    await world.settle()
    world.net.apps["porch-a.test"] = away

    async with world.instances["porch-a.test"].client() as porch_a:
        response = await hostile.deliver(porch_a, delete_of(uri), world.clock)

    assert response.status_code == 202, response.text
    assert await stored_on_a(world, "Soon regretted") == []


async def test_an_open_server_cannot_pass_on_a_blocked_servers_post(
    world: World, hostile: HostileServer
) -> None:
    """Porch-a's admins blocked hostile.test. Elsewhere.test answers for a page with
    hostile.test's own post, under its own id and author: a document that may only be
    read again from its id, on the blocked server, so it is not read at all."""
    async with world.instances["porch-a.test"].app.state.sessions() as session:
        await domains.set_policy(
            session, hostile.domain, DomainPolicy.block, "spam", world.clock.now()
        )
    elsewhere = HostileServer("elsewhere.test")
    world.net.apps[elsewhere.domain] = elsewhere.app
    blocked_post = hostile.mallory + "/statuses/1"
    hostile.serve(note(blocked_post, hostile.mallory))
    page = elsewhere.serve(note(blocked_post, hostile.mallory), at="https://elsewhere.test/p/1")

    await look_up_every_way(world, page)

    assert await stored_on_a(world) == []
    assert blocked_post not in hostile.fetched
