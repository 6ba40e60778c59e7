"""Ana on porch-a.test asks to approve replies to her post; Ben on porch-b.test replies.
Both Porches know the post's rules (the Note publishes them; here they are stored as
the reading of its `interactionPolicy` would store them)."""

from __future__ import annotations

import json

from sqlmodel import col, select

from server.models import Post, PostState
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import policy_reads
from server.services.interaction_policies import Policy
from tests.conftest import Person
from tests.federation.conftest import Instance, World

WORDS = "Those cables look tricky. Are you using a cable needle?"
ASKING = Policy.from_presets({Interaction.reply: "anyone-asks"})


async def rules_known(instance: Instance, post_id: int) -> None:
    async with instance.app.state.sessions() as session:
        await policy_reads.store(session, post_id, ASKING)
        await session.commit()


async def ben_replies_to_ana(world: World) -> tuple[Person, Person, Person, Person, int, int]:
    """Ana posts on A (replies need her approval); Ben finds it on B and replies; his
    pause ends. Returns Ana, Ben, Cleo on B, Dan on A, Ana's post id on A, Ben's reply on B."""
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, dan = await a.sign_up("ana"), await a.sign_up("dan")
    ben, cleo = await b.sign_up("ben"), await b.sign_up("cleo")
    post_id = await ana.post("Casting on the cabled jumper tonight.")
    await world.settle(31)
    await rules_known(a, post_id)
    found = await ben.client.get("/search", params={"q": f"https://porch-a.test/@ana/{post_id}"})
    assert found.status_code == 303, found.text
    copy_id = int(found.headers["location"].rsplit("/", 1)[1])
    await rules_known(b, copy_id)
    reply_id = await ben.post(WORDS, reply_to=copy_id)
    await world.settle(60)
    return ana, ben, cleo, dan, post_id, reply_id


async def requests_on(instance: Instance) -> list[InteractionRequest]:
    async with instance.app.state.sessions() as session:
        return list((await session.exec(select(InteractionRequest))).all())


async def posts_on(instance: Instance, uri: str) -> list[Post]:
    async with instance.app.state.sessions() as session:
        return list((await session.exec(select(Post).where(col(Post.uri) == uri))).all())


async def decide(ana: Person, request_id: int | None, action: str) -> None:
    token = await ana.token("/approvals")
    response = await ana.client.post(
        f"/approvals/{request_id}/{action}", data={"csrf_token": token}
    )
    assert response.status_code == 303, response.text


async def test_a_reply_waits_unseen_on_both_servers_until_ana_approves(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben, cleo, dan, post_id, reply_id = await ben_replies_to_ana(world)
    reply_uri = f"https://porch-b.test/users/ben/statuses/{reply_id}"

    # Waiting: on A as Ana's to decide, on B as Ben's own, and nobody else's on either.
    [asked] = await requests_on(b)
    [waiting] = await requests_on(a)
    assert (asked.direction, waiting.direction) == ("outgoing", "incoming")
    [held] = await posts_on(a, reply_uri)
    assert held.state == PostState.pending
    assert WORDS in (await ana.client.get("/approvals")).text
    assert WORDS not in (await dan.client.get(f"/@ana/{post_id}")).text
    assert WORDS not in (await a.client().get(f"/@ana/{post_id}")).text
    assert WORDS not in (await cleo.client.get(f"/@ben/{reply_id}")).text
    assert (await b.client().get(f"/@ben/{reply_id}")).status_code == 404
    note = await b.client().get(
        f"/users/ben/statuses/{reply_id}", headers={"Accept": "application/activity+json"}
    )
    assert note.status_code == 404
    assert WORDS in (await ben.client.get(f"/@ben/{reply_id}")).text

    await decide(ana, waiting.id, "approve")
    await world.settle()

    # Approved: B checked A's authorization, published the reply carrying it, and
    # everyone on both servers sees it.
    [asked] = await requests_on(b)
    assert asked.state == RequestState.accepted
    assert asked.authorization_uri and asked.authorization_uri.startswith(
        "https://porch-a.test/users/ana/authorizations/"
    )
    creates = [
        json.loads(body)
        for url, body in world.net.posts
        if url.startswith("https://porch-a.test") and b'"Create"' in body
    ]
    assert [c["object"]["replyAuthorization"] for c in creates] == [asked.authorization_uri]
    assert WORDS in (await dan.client.get(f"/@ana/{post_id}")).text
    assert WORDS in (await a.client().get(f"/@ana/{post_id}")).text
    assert WORDS in (await cleo.client.get(f"/@ben/{reply_id}")).text
    assert len(await posts_on(a, reply_uri)) == 1


async def test_a_reply_ana_declines_is_never_seen_anywhere(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben, cleo, dan, post_id, reply_id = await ben_replies_to_ana(world)
    [waiting] = await requests_on(a)

    await decide(ana, waiting.id, "decline")
    await world.settle(3600)

    [asked] = await requests_on(b)
    assert asked.state == RequestState.rejected
    async with b.app.state.sessions() as session:
        assert await session.get(Post, reply_id) is None
    assert await posts_on(a, f"https://porch-b.test/users/ben/statuses/{reply_id}") == []
    for client in (dan.client, a.client()):
        assert WORDS not in (await client.get(f"/@ana/{post_id}")).text
    told = (await ben.client.get("/notifications")).text
    assert "decided on your reply, like or boost of their post" in told
