"""Reports across servers: a Flag goes out from the instance, and Flags come in to the queue.

Ana on porch-a.test reports Ben on porch-b.test; a Mastodon server's moderators report
Ana on porch.test. The reporter is never named to the other server.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import col, select

from federation.signatures import KeyPair
from server.models import (
    ActionKind,
    Actor,
    Delivery,
    DomainPolicy,
    Follow,
    Like,
    Report,
    ReportedPost,
)
from server.services import domains, moderation, reports
from tests.federation.conftest import World
from tests.federation.mastodon_double import MASTODON, Scene, scene_fixture  # noqa: F401
from tests.federation.test_flows import find_and_follow

INSTANCE = f"https://{MASTODON}/actor"


def serve_instance_actor(scene: Scene) -> KeyPair:
    """mastodon.test's instance actor (an Application), which signs its Flags."""
    key = KeyPair.generate()
    doc = scene.mastodon.actor()
    doc.update(
        id=INSTANCE,
        type="Application",
        preferredUsername=MASTODON,
        inbox=INSTANCE + "/inbox",
        outbox=INSTANCE + "/outbox",
        url=f"https://{MASTODON}/about",
        publicKey={"id": INSTANCE + "#main-key", "owner": INSTANCE, "publicKeyPem": key.public_pem},
    )
    for field in ("followers", "following", "featured", "featuredTags", "attachment"):
        doc.pop(field, None)
    scene.mastodon.publish(doc)
    return key


async def flag(scene: Scene, key: KeyPair, **changes: Any) -> Any:
    def mutate(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, **changes}

    return await scene.deliver("flag", key=key, key_id=INSTANCE + "#main-key", mutate=mutate)


async def test_a_flag_from_a_mastodon_server_lands_in_the_queue(scene: Scene) -> None:
    key = serve_instance_actor(scene)
    answer = await flag(scene, key)
    assert answer.status_code == 202, answer.text
    found = await scene.rows(Report)
    assert len(found) == 1
    report = found[0]
    ana = await scene.actor("ana")
    assert report.target_id == ana.id and report.reporter_id is None
    assert report.origin_domain == MASTODON
    assert report.flagged_by_id == (await scene.actor(INSTANCE)).id
    assert report.comment == "Name-calling in a reply to one of our members"
    posts = await scene.rows(ReportedPost)
    assert [p.post_id for p in posts] == [scene.ana_post_id]
    # Delivered again: still one report.
    assert (await flag(scene, key)).status_code == 202
    assert len(await scene.rows(Report)) == 1


async def test_a_flag_naming_anything_not_here_is_refused_whole(scene: Scene) -> None:
    key = serve_instance_actor(scene)
    before = await scene.counts()
    elsewhere = {"object": ["https://porch.test/users/ana", "https://other.test/users/eve"]}
    answer = await flag(scene, key, **elsewhere)
    assert answer.status_code == 400
    assert "other.test/users/eve is not on this server" in answer.json()["error"]
    missing = {"object": ["https://porch.test/users/ana/statuses/110000000000000999"]}
    answer = await flag(scene, key, id=f"https://{MASTODON}/flags/2", **missing)
    assert answer.status_code == 400
    assert "There is no post" in answer.json()["error"]
    nobody = {"object": ["https://porch.test/users/nobody"]}
    answer = await flag(scene, key, id=f"https://{MASTODON}/flags/3", **nobody)
    assert answer.status_code == 400
    assert await scene.rows(Report) == [] and await scene.rows(ReportedPost) == []
    assert await scene.counts() == before


async def test_a_flag_from_a_blocked_server_is_refused(scene: Scene) -> None:
    key = serve_instance_actor(scene)
    async with scene.session() as session:
        await domains.set_policy(session, MASTODON, DomainPolicy.block, "spam", scene.clock.now())
    answer = await flag(scene, key)
    assert answer.status_code == 403
    assert await scene.rows(Report) == []


async def test_a_forwarded_report_arrives_in_the_other_queue_without_the_reporter(
    world: World,
) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    post_id = await ben.post("Something rude from B")
    await world.settle(31)
    home = await ana.client.get("/")
    local_copy = re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text)
    assert local_copy
    async with a.app.state.sessions() as session:
        ana_id = (await session.exec(select(Actor.id).where(Actor.username == "ana"))).one()
        ben_here = (await session.exec(select(Actor).where(Actor.domain == "porch-b.test"))).one()
        assert ana_id is not None and ben_here.id is not None
        await reports.file(
            session,
            a.app.state.settings,
            reporter_id=ana_id,
            target_id=ben_here.id,
            post_ids=[int(local_copy.group(1))],
            comment="Please look at this",
            forward=True,
            now=world.clock.now(),
        )
    world.net.posts.clear()
    await world.settle()
    sent = [json.loads(body) for url, body in world.net.posts if body and b'"Flag"' in body]
    assert len(sent) == 1
    assert sent[0]["actor"] == "https://porch-a.test/actor"
    assert sent[0]["object"] == [
        "https://porch-b.test/users/ben",
        f"https://porch-b.test/users/ben/statuses/{post_id}",
    ]
    assert "ana" not in json.dumps(sent[0])  # the reporter stays anonymous there
    async with a.app.state.sessions() as session:
        flags = select(Delivery.actor_id).where(col(Delivery.body).contains('"type":"Flag"'))
        signers = (await session.exec(flags)).all()
        instance = (await session.exec(select(Actor.id).where(Actor.acct_key == "!instance"))).one()
        assert set(signers) == {instance}
    async with b.app.state.sessions() as session:
        found = (await session.exec(select(Report))).all()
        assert len(found) == 1
        arrived = found[0]
        assert arrived.origin_domain == "porch-a.test" and arrived.comment == "Please look at this"
        ben_id = (
            await session.exec(
                select(Actor.id).where(col(Actor.domain).is_(None), Actor.username == "ben")
            )
        ).one()
        assert arrived.target_id == ben_id
        kept = (await session.exec(select(ReportedPost.post_id))).all()
        assert kept == [post_id]


async def test_a_suspended_remote_account_stops_federating_here(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    assert (await scene.deliver("create_note_public")).status_code == 202
    note = await scene.post_by_uri(scene.load("create_note_public")["object"]["id"])
    assert note is not None
    page = f"/@zoe@mastodon.test/{note.id}"
    assert (await scene.ana.client.get(page)).status_code == 200
    zoe = await scene.actor("https://mastodon.test/users/zoe")
    assert zoe.id is not None
    async with scene.session() as session:
        await moderation.act(
            session,
            scene.app.state.settings,
            moderator_id=None,
            target_id=zoe.id,
            kind=ActionKind.suspend,
            reason="Spam from this account",
            now=scene.clock.now(),
        )
    answer = await scene.deliver("like")
    assert answer.status_code == 403
    assert "suspended" in answer.json()["error"]
    assert await scene.rows(Like) == []
    assert (await scene.ana.client.get(page)).status_code == 404  # her posts are gone
    assert await scene.rows(Follow) == []  # follows both ways ended
