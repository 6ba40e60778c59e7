"""A Delete passed on by someone other than the author, against a Mastodon that serves a
followers-only post only to a follower's signed fetch: Ana on porch.test follows Zoe on
mastodon.test, and Yan on other.test passes on a Delete of Zoe's post."""

from __future__ import annotations

import json

from federation.signatures import KeyPair
from server.services import remote_posts
from tests.federation.mastodon_double import (
    OTHER,
    Scene,
    fixture,
    scene_on_both_fixture,  # noqa: F401
)

FOLLOWERS_ONLY = "create_note_followers_only"


async def zoe_followers_only_post(scene: Scene, *, addressed_to_ana: bool = True) -> str:
    """Zoe's followers-only post, on Porch and on her server, readable there by Ana only."""
    await scene.ana_follows_zoe()
    create = scene.load(FOLLOWERS_ONLY)
    if not addressed_to_ana:
        create["object"]["cc"] = create["cc"] = create["object"]["tag"] = []
    uri = create["object"]["id"]
    scene.mastodon.publish(json.loads(json.dumps(create["object"])))
    scene.mastodon.readers[uri] = "https://porch.test/users/ana"
    response = await scene.deliver(create)
    assert response.status_code == 202, response.text
    assert await scene.post_by_uri(uri) is not None
    return uri


async def yan_passes_on_a_delete_of(scene: Scene, uri: str) -> None:
    yan_key = KeyPair.generate()
    yan = scene.mastodon.add_person("yan", yan_key, host=OTHER)
    delete = {**fixture("delete_note"), "object": {"id": uri, "type": "Tombstone"}}
    response = await scene.deliver(delete, key=yan_key, key_id=f"{yan}#main-key")
    assert response.status_code == 202, response.text


async def test_a_delete_zoe_server_does_not_confirm_leaves_her_post(scene_on_both: Scene) -> None:
    scene = scene_on_both
    uri = await zoe_followers_only_post(scene)

    await yan_passes_on_a_delete_of(scene, uri)

    assert await scene.post_by_uri(uri) is not None
    # Porch asked as Ana, whom Zoe's server shows the post to.
    assert uri in scene.mastodon.fetched


async def test_a_delete_zoe_server_confirms_removes_her_post(scene_on_both: Scene) -> None:
    scene = scene_on_both
    uri = await zoe_followers_only_post(scene)
    scene.mastodon.gone.add(uri)

    await yan_passes_on_a_delete_of(scene, uri)

    assert await scene.post_by_uri(uri) is None


async def test_with_nobody_here_who_may_read_it_a_404_proves_nothing(
    scene_on_both: Scene,
) -> None:
    scene = scene_on_both
    uri = await zoe_followers_only_post(scene, addressed_to_ana=False)
    token = await scene.ana.token("/@zoe@mastodon.test")
    left = await scene.ana.client.post("/@zoe@mastodon.test/unfollow", data={"csrf_token": token})
    assert left.status_code == 303
    post = await scene.post_by_uri(uri)
    assert post is not None
    async with scene.session() as session:
        assert await remote_posts.local_reader(session, post) is None

    await yan_passes_on_a_delete_of(scene, uri)

    assert await scene.post_by_uri(uri) is not None


async def test_ana_reads_a_followers_only_post_as_its_follower_or_as_someone_it_names(
    scene_on_both: Scene,
) -> None:
    scene = scene_on_both
    uri = await zoe_followers_only_post(scene)
    post = await scene.post_by_uri(uri)
    assert post is not None
    async with scene.session() as session:
        reader = await remote_posts.local_reader(session, post)
        assert reader is not None and reader.username == "ana"
