"""Quote posts between two Porch servers: Ben on porch-b.test quotes Ana on porch-a.test."""

from __future__ import annotations

import re

from sqlmodel import select

from server.models import Post, PostEdit
from server.models.interaction_policies import Interaction, InteractionRequest, Quote, QuoteState
from server.services import policy_reads
from server.services.interaction_policies import Policy
from tests.conftest import Person
from tests.federation.conftest import Instance, World
from tests.federation.test_flows import find_and_follow


async def _quote_state(instance: Instance, post_uri_or_id: str | int) -> Quote | None:
    async with instance.app.state.sessions() as session:
        if isinstance(post_uri_or_id, int):
            post_id = post_uri_or_id
        else:
            found = (await session.exec(select(Post).where(Post.uri == post_uri_or_id))).first()
            if found is None:
                return None
            post_id = found.id
        return (await session.exec(select(Quote).where(Quote.post_id == post_id))).first()


async def _local_copy(person: Person, handle: str) -> int:
    """The id on the reader's server of the newest post by `handle` in their home."""
    home = await person.client.get("/")
    found = re.search(rf'href="/@{re.escape(handle)}/(\d+)"', home.text)
    assert found, home.text[:2000]
    return int(found.group(1))


async def _published_policy(instance: Instance, post_id: int, quote: str = "anyone") -> None:
    """The policy the quoted post's Note publishes, as read on arrival (interactionPolicy)."""
    async with instance.app.state.sessions() as session:
        policy = Policy.from_presets(
            {i: "anyone" for i in Interaction} | {Interaction.quote: quote}
        )
        await policy_reads.store(session, post_id, policy)
        await session.commit()


async def _quote(person: Person, quoted_id: int, text: str) -> int:
    token = await person.token(f"/compose?quote={quoted_id}")
    response = await person.client.post(
        "/posts",
        data={
            "text": text,
            "visibility": "public",
            "quote_of_id": str(quoted_id),
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text[:3000]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def _ben_follows_ana(world: World) -> tuple[Person, Person]:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana, ben = await a.sign_up("ana"), await b.sign_up("ben")
    # find_and_follow works from porch-a: Ana follows Ben, and Ben follows Ana back.
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    found = await ben.client.get("/search", params={"q": "@ana@porch-a.test"})
    token = await ben.token(found.headers["location"])
    await ben.client.post(found.headers["location"] + "/follow", data={"csrf_token": token})
    await world.settle()
    return ana, ben


async def test_a_quote_is_requested_approved_and_shown_at_both_servers(world: World) -> None:
    ana, ben = await _ben_follows_ana(world)
    a = world.instances["porch-a.test"]
    post_id = await ana.post("Porches are for slow talk")
    await world.settle(31)
    copy = await _local_copy(ben, "ana@porch-a.test")
    await _published_policy(world.instances["porch-b.test"], copy)

    quote_id = await _quote(ben, copy, "So true, and here is why")
    assert (
        await _quote_state(world.instances["porch-b.test"], quote_id)
    ).state == QuoteState.pending  # type: ignore[union-attr]
    await world.settle(60)

    mine = await _quote_state(world.instances["porch-b.test"], quote_id)
    assert mine is not None and mine.state == QuoteState.accepted
    assert mine.authorization_uri and mine.authorization_uri.startswith(
        "https://porch-a.test/users/ana/authorizations/"
    )
    theirs = await _quote_state(a, f"https://porch-b.test/users/ben/statuses/{quote_id}")
    assert theirs is not None and theirs.state == QuoteState.accepted
    assert theirs.quoted_post_id == post_id
    authorization = await a.client().get(
        mine.authorization_uri, headers={"Accept": "application/activity+json"}
    )
    assert authorization.status_code == 200
    assert authorization.json()["type"] == "QuoteAuthorization"
    assert authorization.json()["interactingObject"] == (
        f"https://porch-b.test/users/ben/statuses/{quote_id}"
    )
    notes = await ana.client.get("/notifications")
    assert "quoted your post" in notes.text
    # The Update that carried the approval is not an edit: A keeps no earlier version.
    async with a.app.state.sessions() as session:
        edits = (await session.exec(select(PostEdit))).all()
    assert edits == []
    updates = [body for url, body in world.net.posts if b'"quoteAuthorization"' in body]
    assert updates and all(b'"updated"' not in body for body in updates)


async def test_a_revoked_quote_is_removed_at_both_servers(world: World) -> None:
    ana, ben = await _ben_follows_ana(world)
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    post_id = await ana.post("Say it kindly")
    await world.settle(31)
    copy = await _local_copy(ben, "ana@porch-a.test")
    await _published_policy(b, copy)
    quote_id = await _quote(ben, copy, "Agreed")
    await world.settle(60)
    theirs = await _quote_state(a, f"https://porch-b.test/users/ben/statuses/{quote_id}")
    assert theirs is not None
    token = await ana.token(f"/posts/{post_id}/quotes")
    response = await ana.client.post(
        f"/posts/{post_id}/quotes/{theirs.post_id}/revoke", data={"csrf_token": token}
    )
    assert response.status_code == 303, response.text[:2000]
    await world.settle()
    assert (await _quote_state(a, theirs.post_id)).state == QuoteState.revoked  # type: ignore[union-attr]
    mine = await _quote_state(b, quote_id)
    assert mine is not None and mine.state == QuoteState.revoked
    async with a.app.state.sessions() as session:
        row = (await session.exec(select(InteractionRequest))).one()
    gone = await a.client().get(
        f"https://porch-a.test/users/ana/authorizations/{row.activity_id}",
        headers={"Accept": "application/activity+json"},
    )
    assert gone.status_code == 410
