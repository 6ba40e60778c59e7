"""Every activity Porch sends has an id no other activity had: taking something back and
doing it again is heard again on the other server, whichever database either side runs.

Ana is on porch-a.test, Ben on porch-b.test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select
from starlette.applications import Starlette

from federation.builders import BUILDERS
from server.clock import FrozenClock
from server.db import alembic_config
from server.ids import new_activity_id
from server.models import Follow, FollowState, Like, OutboxItem, OutboxKind
from server.services import accounts, outbox, reactions
from server.urls import Urls
from tests.conftest import Person, publish_due
from tests.federation.conftest import World
from tests.federation.test_flows import find_and_follow

LIKES = (OutboxKind.like, OutboxKind.undo_like)


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

    for words in ("Tea is ready, come down", "Tea is ready, come down now"):
        token = await ben.token(f"/posts/{post_id}/revise")
        response = await ben.client.post(
            f"/posts/{post_id}/revise",
            data={"text": words, "spoiler_text": "", "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        await world.settle()

    home = await ana.client.get("/")
    assert "come down now" in home.text


async def test_two_likes_of_one_post_with_an_unlike_between_get_different_ids(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben likes Ana's post, takes it back and likes it again: the row is made twice, and
    each Like (and the Undo between) names its own activity."""
    post_id = await people["ana"].post("Bread is out of the oven")
    await publish_due(app, clock, 30)
    async with app.state.sessions() as session:
        ben = await accounts.local_actor(session, "ben")
        first = (await reactions.like(session, ben, post_id, clock.now())).activity_id
        await reactions.unlike(session, ben, post_id, clock.now())
        second = (await reactions.like(session, ben, post_id, clock.now())).activity_id
        rows = (await session.exec(select(OutboxItem).order_by(col(OutboxItem.id)))).all()
    sent = [outbox.read(i, outbox.Sent).activity_id for i in rows if i.kind in LIKES]
    assert first != second
    assert sent == [first, first, second]  # like, its undo, the new like


def test_activity_tokens_are_new_each_time_and_read_back_from_their_ids() -> None:
    tokens = {new_activity_id() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 26 and not t.isdigit() for t in tokens)
    urls = Urls("https://porch.example")
    token = tokens.pop()
    assert urls.activity_token_of(urls.activity("follow", token), "follow") == token
    assert urls.activity_token_of(urls.activity("follow", "12"), "follow") == "12"  # older rows
    assert urls.activity_token_of(urls.activity("like", token), "follow") is None
    assert urls.activity_token_of(urls.activity("follow", token) + "/undo", "follow") is None


def test_every_outbox_kind_has_a_payload_and_a_builder() -> None:
    assert set(outbox.PAYLOADS) == set(OutboxKind) == set(BUILDERS)


async def test_an_outbox_row_keeps_only_the_payload_its_kind_declares(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        with pytest.raises(TypeError, match="like keeps a Sent"):
            outbox.record(
                session, OutboxKind.like, ana.id, now=clock.now(), payload=outbox.Minted()
            )
        outbox.record(session, OutboxKind.update_actor, ana.id, now=clock.now())
        await session.commit()
        (row,) = (await session.exec(select(OutboxItem))).all()
    assert len(outbox.read(row, outbox.Minted).activity_id) == 26
    with pytest.raises(TypeError):
        outbox.read(row, outbox.Sent)


async def test_rows_from_before_tokens_keep_the_ids_their_activities_were_sent_with(
    tmp_path: Path,
) -> None:
    """Ana liked a post before the upgrade and unliked it while the Undo still waited to
    go out: it names the Like that was sent, with the row id it was sent with."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
    engine = create_async_engine(url)  # no foreign keys: the rows stand alone

    def upgrade(connection: Connection, revision: str) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade, "0007")
        await connection.execute(
            text(
                "INSERT INTO likes (id, actor_id, post_id, created_at) VALUES (7, 1, 5, '2026-01-01')"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO outbox_items (id, kind, actor_id, snapshot, created_at) VALUES "
                "(1, 'undo_like', 1, '{\"like_id\": 7}', '2026-01-01'), "
                '(2, \'accept_follow\', 1, \'{"follow_uri": "https://b.example/f/1", '
                "\"follow_id\": 3}', '2026-01-01')"
            )
        )
    async with engine.begin() as connection:
        await connection.run_sync(upgrade, "head")
        like_token = (await connection.execute(text("SELECT activity_id FROM likes"))).scalar()
        payloads = (
            await connection.execute(text("SELECT payload FROM outbox_items ORDER BY id"))
        ).scalars()
        undo, accept = [json.loads(p) for p in payloads]
    await engine.dispose()
    assert like_token == "7"
    assert outbox.Sent.model_validate(undo).activity_id == "7"
    answer = outbox.Answer.model_validate(accept)
    assert answer.follow_uri == "https://b.example/f/1" and len(answer.activity_id) == 26
