"""Finding a new signer's key: Gil on a GoToSocial-style server signs with a key id
that is a path of its own, and Porch fetches no more than it needs."""

from __future__ import annotations

from sqlmodel import col

from federation.signatures import KeyPair
from server.models import Follow
from tests.federation.mastodon_double import Scene, fixture, scene_fixture  # noqa: F401


async def test_a_gotosocial_key_id_costs_two_fetches_for_a_new_signer(scene: Scene) -> None:
    # GoToSocial's key ids are paths (…/users/gil/main-key) that serve a stub of the
    # actor; fetching the stub fetches the actor from its id, which is all Porch needs.
    gil_key = KeyPair.generate()
    gil = scene.mastodon.add_person("gil", gil_key)
    actor = scene.mastodon.documents[gil]
    actor["publicKey"] = {**actor["publicKey"], "id": f"{gil}/main-key"}
    stub = {"@context": actor["@context"], "id": gil, "preferredUsername": "gil"}
    scene.mastodon.documents[f"{gil}/main-key"] = stub | {"publicKey": actor["publicKey"]}

    follow = {**fixture("follow"), "id": f"{gil}#follows/1", "actor": gil}
    response = await scene.deliver(follow, key=gil_key, key_id=f"{gil}/main-key")

    assert response.status_code == 202, response.text
    assert await scene.rows(Follow, col(Follow.uri) == f"{gil}#follows/1") != []
    assert [u for u in scene.mastodon.fetched if "gil" in u] == [f"{gil}/main-key", gil]
