"""Admins decide how Porch treats other servers; members read with authorized fetch."""

from __future__ import annotations

import httpx
from sqlmodel import select

from federation.signatures import HttpSignatureAuth
from server.models import Follow, MemberRole
from tests.conftest import csrf_from
from tests.federation.conftest import World
from tests.federation.test_flows import find_and_follow, post_ids_on

AS2 = {"Accept": "application/activity+json"}


async def make_admin(world: World, domain: str, name: str) -> httpx.AsyncClient:
    instance = world.instances[domain]
    person = await instance.sign_up(name)
    async with instance.app.state.sessions() as session:
        from server.services import accounts

        found = await accounts.local_member(session, name)
        found.member.role = MemberRole.admin
        session.add(found.member)
        await session.commit()
    return person.client


async def test_blocking_a_server_ends_follows_and_refuses_its_posts(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    admin = await make_admin(world, "porch-a.test", "rosa")
    await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()

    token = await csrf_from(admin, "/admin/domains")
    response = await admin.post(
        "/admin/domains",
        data={"domain": "porch-b.test", "policy": "block", "reason": "spam", "csrf_token": token},
    )
    assert response.status_code == 303
    listing = await admin.get("/admin/domains")
    assert "porch-b.test" in listing.text and "spam" in listing.text
    async with a.app.state.sessions() as session:
        assert (await session.exec(select(Follow))).all() == []

    await ben.post("Can anyone hear me?")
    await world.settle(31)
    assert await post_ids_on(world, "porch-a.test") == []


async def test_a_bad_domain_is_explained(world: World) -> None:
    admin = await make_admin(world, "porch-a.test", "rosa")
    token = await csrf_from(admin, "/admin/domains")
    response = await admin.post(
        "/admin/domains", data={"domain": "not a domain", "policy": "block", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Give a domain" in response.text


async def test_authorized_fetch_refuses_unsigned_reads_and_accepts_signed_ones(
    world: World,
) -> None:
    a = world.instances["porch-a.test"]
    await a.sign_up("ana")
    a.app.state.settings = a.app.state.settings.model_copy(update={"authorized_fetch": True})
    async with a.client() as anyone:
        assert (await anyone.get("/users/ana/outbox", headers=AS2)).status_code == 401
        minimal = (await anyone.get("/users/ana", headers=AS2)).json()
        assert "publicKey" in minimal and "outbox" not in minimal
        assert (await anyone.get("/actor", headers=AS2)).status_code == 200

    # porch-b.test signs with its instance actor, which porch-a.test fetches and checks.
    fed_b = world.instances["porch-b.test"].app.state.federation
    auth: HttpSignatureAuth = await fed_b.instance_auth()
    async with httpx.AsyncClient(transport=world.net, base_url=a.base) as server_b:
        signed = await server_b.get("/users/ana/outbox", headers=AS2, auth=auth)
        assert signed.status_code == 200
        assert signed.json()["type"] == "OrderedCollection"
