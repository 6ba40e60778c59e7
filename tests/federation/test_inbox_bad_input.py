"""What Porch's inbox refuses: never a 500, and nothing kept from a refused request."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import col

from federation import actors
from federation.signatures import KeyPair
from server.models import Actor, Attachment, DomainPolicy, Follow, Like, Poll, Post
from server.services import blocks, domains
from tests.federation.mastodon_double import (
    MASTODON,
    OTHER,
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)

REPLY = "create_note_reply_mention"


def body_of(scene: Scene, name: str) -> bytes:
    return json.dumps(scene.load(name)).encode()


async def refused(scene: Scene, status: int, **delivery: Any) -> None:
    """Deliver a reply to Ana's post (or `body`); expect `status` and no change."""
    before = await scene.counts()
    body = delivery.pop("body", None)
    if body is None:
        response = await scene.deliver(delivery.pop("activity", REPLY), **delivery)
    else:
        response = await scene.post(body, **delivery)
    assert response.status_code == status, response.text
    assert await scene.counts() == before


# The signature


async def test_an_unsigned_delivery_is_refused_without_fetching_anyone(scene: Scene) -> None:
    await refused(scene, 401, body=body_of(scene, REPLY), signed=False)
    assert scene.mastodon.fetched == []


async def test_a_signature_by_another_key_is_refused(scene: Scene) -> None:
    await refused(scene, 401, key=KeyPair.generate())


async def test_a_body_changed_after_signing_is_refused(scene: Scene) -> None:
    signed = body_of(scene, REPLY)
    forged = signed.replace(b"Is the bench new?", b"Send me your password.")
    await refused(scene, 401, body=signed, wire_body=forged)
    assert scene.mastodon.fetched == []  # the digest fails before any key is needed


async def test_a_signature_two_hours_old_is_refused(scene: Scene) -> None:
    old = scene.clock.now() - timedelta(hours=2)
    await refused(scene, 401, body=body_of(scene, REPLY), signed_at=old)


async def test_a_key_id_that_is_not_a_url_is_refused(scene: Scene) -> None:
    await refused(scene, 401, key_id="main-key")


async def test_a_key_id_zoe_server_does_not_list_is_refused(scene: Scene) -> None:
    await refused(scene, 401, key_id=ZOE + "#other-key")


async def test_a_key_id_of_someone_who_does_not_exist_is_refused(scene: Scene) -> None:
    await refused(scene, 401, key_id=f"https://{MASTODON}/users/nobody#main-key")


async def test_when_zoe_server_is_down_porch_asks_to_be_sent_again_later(scene: Scene) -> None:
    scene.mastodon.down = True
    before = await scene.counts()
    response = await scene.deliver(REPLY)
    assert 500 <= response.status_code < 600, response.text  # Mastodon retries 5xx, not 401
    assert await scene.counts() == before

    scene.mastodon.down = False
    again = await scene.deliver(REPLY)
    assert again.status_code == 202, again.text
    assert await scene.post_by_uri(fixture(REPLY)["object"]["id"]) is not None


async def test_given_zoe_rotated_her_key_then_porch_fetches_the_new_one_once(
    scene: Scene,
) -> None:
    await scene.deliver("follow")
    scene.mastodon.key = KeyPair.generate()
    scene.mastodon.fetched.clear()
    response = await scene.deliver(REPLY)
    assert response.status_code == 202, response.text
    assert scene.mastodon.fetched == [ZOE]


async def test_a_blocked_server_is_refused_without_fetching(scene: Scene) -> None:
    async with scene.session() as session:
        await domains.set_policy(session, MASTODON, DomainPolicy.block, "", scene.clock.now())
    await refused(scene, 403)
    assert scene.mastodon.fetched == []


async def test_the_wrong_content_type_is_refused(scene: Scene) -> None:
    await refused(scene, 415, body=body_of(scene, REPLY), content_type="text/plain")


# The body


async def test_malformed_json_is_refused(scene: Scene) -> None:
    await refused(scene, 400, body=b'{"type": "Create", "actor": ')


async def test_json_nested_a_hundred_deep_is_refused(scene: Scene) -> None:
    deep = json.loads(body_of(scene, REPLY))
    deep["object"]["tag"] = json.loads("[" * 100 + "]" * 100)
    await refused(scene, 400, body=json.dumps(deep).encode())


async def test_a_body_over_the_limit_is_refused(scene: Scene) -> None:
    big = scene.load(REPLY)
    big["object"]["content"] = "x" * scene.app.state.settings.max_body_bytes
    await refused(scene, 413, body=json.dumps(big).encode())


async def test_json_that_is_not_an_object_is_refused(scene: Scene) -> None:
    await refused(scene, 400, body=b'[{"type": "Follow"}]')


async def test_an_activity_without_an_id_is_refused(scene: Scene) -> None:
    await refused(scene, 400, mutate=lambda a: {k: v for k, v in a.items() if k != "id"})


async def test_an_activity_without_the_activitystreams_context_is_refused(
    scene: Scene,
) -> None:
    await refused(scene, 400, mutate=lambda a: {**a, "@context": "https://example.com/ns"})


# Who says it


def claimed_by(actor: str) -> Any:
    def change(activity: dict[str, Any]) -> None:
        activity["actor"] = actor
        activity["object"]["attributedTo"] = actor
        activity["object"]["id"] = activity["object"]["id"].replace(ZOE, actor)
        activity["id"] = activity["object"]["id"] + "/activity"

    return change


async def test_a_like_zoe_signs_for_someone_else_is_not_applied(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    response = await scene.deliver("like", mutate=lambda a: {**a, "actor": yan})
    assert response.status_code < 500
    assert await scene.rows(Like) == []


async def test_a_follow_zoe_signs_for_someone_else_is_not_applied(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    response = await scene.deliver("follow", mutate=lambda a: {**a, "actor": yan})
    assert response.status_code < 500
    assert await scene.rows(Actor, col(Actor.uri) == yan) == []


async def test_a_create_zoe_signs_for_someone_else_is_not_applied_if_its_origin_lacks_it(
    scene: Scene,
) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    before = await scene.counts()
    response = await scene.deliver(REPLY, mutate=claimed_by(yan))
    assert response.status_code < 500
    before.pop("received_activities")
    after = await scene.counts()
    after.pop("received_activities")
    assert after == before


async def test_a_create_zoe_passes_on_is_stored_as_its_origin_serves_it(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    forwarded = scene.load(REPLY)
    claimed_by(yan)(forwarded)
    original = json.loads(json.dumps(forwarded["object"]))
    scene.mastodon.publish(original)
    forwarded["object"]["content"] = "<p>Something Yan never wrote.</p>"

    response = await scene.deliver(forwarded)
    assert response.status_code == 202, response.text
    post = await scene.post_by_uri(original["id"])
    assert post is not None and "Is the bench new?" in post.text
    author = await scene.actor(yan)
    assert post.actor_id == author.id


async def test_a_create_of_a_note_on_another_server_is_refused(scene: Scene) -> None:
    def elsewhere(activity: dict[str, Any]) -> None:
        activity["object"]["id"] = f"https://{OTHER}/notes/1"

    response = await scene.deliver(REPLY, mutate=elsewhere)
    assert response.status_code == 400, response.text
    assert await scene.post_by_uri(f"https://{OTHER}/notes/1") is None
    assert await scene.rows(Post, col(Post.actor_id) != (await scene.actor("ana")).id) == []


async def test_a_create_of_a_note_attributed_to_someone_else_is_refused(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())

    def by_yan(activity: dict[str, Any]) -> None:
        activity["object"]["attributedTo"] = yan

    response = await scene.deliver(REPLY, mutate=by_yan)
    assert response.status_code < 500
    assert await scene.post_by_uri(fixture(REPLY)["object"]["id"]) is None


async def test_zoe_cannot_delete_ana_post(scene: Scene) -> None:
    response = await scene.deliver(
        "delete_note", mutate=lambda a: {**a, "object": {"id": scene.ana_post_uri}}
    )
    assert response.status_code < 500
    assert await scene.rows(Post, col(Post.id) == scene.ana_post_id) != []


async def test_zoe_cannot_update_someone_else_profile(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    await scene.deliver("follow")  # now Porch knows Zoe
    response = await scene.deliver(
        "update_person", mutate=lambda a: {**a, "object": {**a["object"], "id": yan}}
    )
    assert response.status_code < 500
    assert await scene.rows(Actor, col(Actor.uri) == yan) == []
    assert (await scene.actor(ZOE)).display_name == "Zoe"


# Blocked servers stay out, whoever passes their content on


async def test_a_post_from_a_blocked_server_passed_on_by_zoe_is_not_fetched(
    scene: Scene,
) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate(), host=OTHER)
    forwarded = scene.load(REPLY)
    claimed_by(yan)(forwarded)
    scene.mastodon.publish(json.loads(json.dumps(forwarded["object"])))
    async with scene.session() as session:
        await domains.set_policy(session, OTHER, DomainPolicy.block, "", scene.clock.now())

    response = await scene.deliver(forwarded)
    assert response.status_code < 500
    assert await scene.post_by_uri(forwarded["object"]["id"]) is None
    assert [url for url in scene.mastodon.fetched if OTHER in url] == []


async def test_a_boost_of_a_post_from_a_blocked_server_is_not_fetched(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    yan = scene.mastodon.add_person("yan", KeyPair.generate(), host=OTHER)
    note = scene.load("create_note_public")["object"]
    note = json.loads(json.dumps(note).replace(ZOE, yan))
    scene.mastodon.publish(note)
    async with scene.session() as session:
        await domains.set_policy(session, OTHER, DomainPolicy.block, "", scene.clock.now())

    response = await scene.deliver("announce", mutate=lambda a: {**a, "object": note["id"]})
    assert response.status_code < 500
    assert await scene.post_by_uri(note["id"]) is None
    assert [url for url in scene.mastodon.fetched if OTHER in url] == []


# Account deletions


async def test_a_stranger_deleting_their_account_costs_porch_no_fetch(scene: Scene) -> None:
    # Mastodon sends an account's Delete to every server that ever saw it; by then the
    # key is gone, and a server that never knew the account has nothing to remove.
    scene.mastodon.zoe_gone = True
    before = await scene.counts()
    response = await scene.deliver("delete_actor")
    assert response.status_code == 202, response.text
    assert scene.mastodon.fetched == []
    assert await scene.counts() == before


# What the rules forbid


async def test_a_like_of_a_post_zoe_may_not_see_is_accepted_and_ignored(scene: Scene) -> None:
    # Answered 202: a 5xx would have Mastodon send it again for days.
    hidden = await scene.ana.post("Only for my followers.", visibility="followers")
    await scene.drain(31)
    hidden_uri = f"https://porch.test/users/ana/statuses/{hidden}"
    response = await scene.deliver("like", mutate=lambda a: {**a, "object": hidden_uri})
    assert response.status_code == 202, response.text
    assert await scene.rows(Like) == []


async def test_a_follow_of_someone_who_blocked_zoe_is_accepted_and_ignored(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    ana, zoe = await scene.actor("ana"), await scene.actor(ZOE)
    async with scene.session() as session:
        await blocks.block(session, ana, zoe, scene.clock.now())
    response = await scene.deliver("follow")
    assert response.status_code == 202, response.text
    assert await scene.rows(Follow, col(Follow.follower_id) == zoe.id) == []


# Numbers and sizes no database column holds


async def test_an_attachment_of_absurd_size_is_kept_without_its_size(scene: Scene) -> None:
    def huge(activity: dict[str, Any]) -> None:
        image = activity["object"]["attachment"][0]
        image["width"], image["height"] = 2**64, True

    await scene.ana_follows_zoe()
    response = await scene.deliver("create_note_cw_attachment", mutate=huge)
    assert response.status_code == 202, response.text
    post = await scene.post_by_uri(fixture("create_note_cw_attachment")["object"]["id"])
    assert post is not None
    [image] = await scene.rows(Attachment, col(Attachment.post_id) == post.id)
    assert (image.width, image.height) == (None, None)


async def test_a_poll_with_absurd_counts_is_kept_without_them(scene: Scene) -> None:
    def huge(activity: dict[str, Any]) -> None:
        activity["object"]["votersCount"] = 2**64
        activity["object"]["oneOf"][0]["replies"]["totalItems"] = 2**80

    await scene.ana_follows_zoe()
    response = await scene.deliver("create_question", mutate=huge)
    assert response.status_code == 202, response.text
    post = await scene.post_by_uri(fixture("create_question")["object"]["id"])
    assert post is not None
    [poll] = await scene.rows(Poll, col(Poll.post_id) == post.id)
    assert poll.voters_count is None
    assert poll.options[0] == {"title": "Socks", "votes": 0}


# Ids are their servers' own


async def test_zoe_cannot_make_porch_ignore_another_server_activity(scene: Scene) -> None:
    # Porch remembers activity ids to ignore redeliveries; an id from another server,
    # sent first by Zoe, must not make Yan's real activity look like one.
    yan_key = KeyPair.generate()
    yan = scene.mastodon.add_person("yan", yan_key, host=OTHER)
    squatted = f"{yan}#follows/1"
    arrive = {"@context": fixture("follow")["@context"], "id": squatted, "type": "Arrive"}
    await scene.deliver({**arrive, "actor": ZOE})

    follow = {**fixture("follow"), "id": squatted, "actor": yan}
    response = await scene.deliver(follow, key=yan_key, key_id=f"{yan}#main-key")
    assert response.status_code == 202, response.text
    assert await scene.rows(Follow, col(Follow.uri) == squatted) != []


async def test_a_like_of_a_post_id_past_64_bits_is_accepted_and_ignored(scene: Scene) -> None:
    huge = "https://porch.test/users/ana/statuses/9999999999999999999"
    response = await scene.deliver("like", mutate=lambda a: {**a, "object": huge})
    assert response.status_code == 202, response.text
    assert await scene.rows(Like) == []


async def test_zoe_cannot_delete_a_post_of_yan_from_her_server(scene: Scene) -> None:
    yan = scene.mastodon.add_person("yan", KeyPair.generate())
    forwarded = scene.load(REPLY)
    claimed_by(yan)(forwarded)
    scene.mastodon.publish(json.loads(json.dumps(forwarded["object"])))
    await scene.deliver(forwarded)
    assert await scene.post_by_uri(forwarded["object"]["id"]) is not None

    delete = {**fixture("delete_note"), "object": forwarded["object"]["id"]}
    response = await scene.deliver(delete)
    assert response.status_code < 500
    assert await scene.post_by_uri(forwarded["object"]["id"]) is not None


async def test_a_database_failure_before_applying_asks_to_be_sent_again(
    scene: Scene, monkeypatch: Any
) -> None:
    """Trouble on Porch's side is a 503 (Mastodon retries), never a 500 or a 4xx."""

    async def busy(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(actors.remote_actors, "by_key_id", busy)
    await refused(scene, 503)
    response = await scene.deliver(REPLY)
    assert response.headers["retry-after"] == "30"
