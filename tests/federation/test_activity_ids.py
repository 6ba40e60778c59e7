"""Every activity Porch sends has an id no other activity had: taking something back and
doing it again is heard again on the other server, whichever database either side runs.

Ana is on porch-a.test, Ben on porch-b.test.
"""

from __future__ import annotations

import json
import re

from sqlmodel import select

from server.models import Follow, FollowState, Like
from tests.conftest import Person
from tests.federation.conftest import World
from tests.federation.test_flows import find_and_follow


def sent(world: World, kind: str) -> list[dict[str, object]]:
    """The activities of type `kind` POSTed to any inbox so far, in order."""
    found = [json.loads(body) for _, body in world.net.posts]
    return [a for a in found if a.get("type") == kind]


async def ben_posts_and_ana_sees_it(world: World, ana: Person, ben: Person) -> tuple[int, int]:
    """Ana follows Ben, Ben posts; returns the post's id on B and its copy's id on A."""
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    post_id = await ben.post("Tea is ready")
    await world.settle(31)
    home = await ana.client.get("/")
    local = re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text)
    assert local, home.text
    return post_id, int(local.group(1))


async def react(person: Person, post_id: int, action: str) -> None:
    token = await person.token("/")
    response = await person.client.post(f"/posts/{post_id}/{action}", data={"csrf_token": token})
    assert response.status_code == 303, response.text


async def test_like_unlike_and_like_again_leaves_a_like_on_the_other_server(
    world_on: World,
) -> None:
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben = await a.sign_up("ana"), await b.sign_up("ben")
    post_id, local_id = await ben_posts_and_ana_sees_it(world, ana, ben)

    for action in ("like", "unlike", "like"):
        await react(ana, local_id, action)
        await world.settle()

    async with b.app.state.sessions() as session:
        likes = (await session.exec(select(Like).where(Like.post_id == post_id))).all()
    assert len(likes) == 1


async def test_a_like_after_an_unlike_goes_out_with_a_new_id_and_the_undo_names_the_first(
    world_on: World,
) -> None:
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben = await a.sign_up("ana"), await b.sign_up("ben")
    _, local_id = await ben_posts_and_ana_sees_it(world, ana, ben)

    for action in ("like", "unlike", "like"):
        await react(ana, local_id, action)
        await world.settle()

    first, second = sent(world, "Like")
    (undo,) = sent(world, "Undo")
    assert first["id"] != second["id"]
    assert undo["object"]["id"] == first["id"]  # type: ignore[index]
    assert undo["id"] not in (first["id"], second["id"])


async def test_follow_unfollow_and_follow_again_ends_accepted(world_on: World) -> None:
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    await b.sign_up("ben")

    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    token = await ana.token("/@ben@porch-b.test")
    response = await ana.client.post("/@ben@porch-b.test/unfollow", data={"csrf_token": token})
    assert response.status_code == 303, response.text
    await world.settle()
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()

    async with a.app.state.sessions() as session:
        (follow,) = (await session.exec(select(Follow))).all()
    assert follow.state == FollowState.accepted
    followers = await b.client().get(
        "/users/ben/followers", headers={"Accept": "application/activity+json"}
    )
    assert followers.json()["totalItems"] == 1
    follows, accepts = sent(world, "Follow"), sent(world, "Accept")
    assert len({f["id"] for f in follows}) == 2 and len({x["id"] for x in accepts}) == 2


async def test_two_edits_in_the_same_second_both_reach_the_other_server(world_on: World) -> None:
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben = await a.sign_up("ana"), await b.sign_up("ben")
    post_id, _ = await ben_posts_and_ana_sees_it(world, ana, ben)

    for text in ("Tea is ready, come down", "Tea is ready, come down now"):
        token = await ben.token(f"/posts/{post_id}/revise")
        response = await ben.client.post(
            f"/posts/{post_id}/revise",
            data={"text": text, "spoiler_text": "", "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        await world.settle()

    home = await ana.client.get("/")
    assert "come down now" in home.text
