"""Zoe on mastodon.test sends what Mastodon sends; Ana on porch.test sees what it means."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col

from federation.signatures import KeyPair
from server.models import (
    Actor,
    Attachment,
    Block,
    Follow,
    FollowState,
    Like,
    Mention,
    Notification,
    NotificationKind,
    Poll,
    Post,
    PostEdit,
    PostTag,
    Tombstone,
    Visibility,
)
from server.services import blocks
from tests.conftest import csrf_from
from tests.federation.mastodon_double import (
    OTHER,
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)

PUBLIC_NOTE = "https://mastodon.test/users/zoe/statuses/113800000000000001"


def note_id(name: str) -> str:
    object_id: str = fixture(name)["object"]["id"]
    return object_id


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time Porch stores is UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


async def accepted(scene: Scene, activity: str | dict[str, Any], **options: Any) -> None:
    response = await scene.deliver(activity, **options)
    assert response.status_code == 202, response.text


async def zoe_follows(scene: Scene) -> list[Follow]:
    zoe = await scene.actor(ZOE)
    return await scene.rows(Follow, col(Follow.follower_id) == zoe.id)


# Following


async def test_when_zoe_follows_ana_then_ana_has_a_follower_and_zoe_an_accept(
    scene: Scene,
) -> None:
    await accepted(scene, "follow")

    ana = await scene.actor("ana")
    [follow] = await zoe_follows(scene)
    assert follow.followed_id == ana.id and follow.state == FollowState.accepted
    assert follow.uri == fixture("follow")["id"]
    await scene.drain()
    [answer] = scene.mastodon.posts_to("/users/zoe/inbox")
    assert answer["type"] == "Accept" and answer["actor"] == "https://porch.test/users/ana"
    assert answer["object"]["type"] == "Follow"
    assert answer["object"]["id"] == fixture("follow")["id"]
    assert answer["object"]["actor"] == ZOE
    notes = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [n.kind for n in notes] == [NotificationKind.follow]


async def test_given_zoe_follows_ana_when_she_undoes_it_then_ana_has_no_follower(
    scene: Scene,
) -> None:
    await accepted(scene, "follow")
    await accepted(scene, "undo_follow")
    assert await zoe_follows(scene) == []


async def test_given_ana_asked_to_follow_zoe_when_zoe_accepts_then_the_follow_holds(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    ana, zoe = await scene.actor("ana"), await scene.actor(ZOE)
    [follow] = await scene.rows(Follow, col(Follow.follower_id) == ana.id)
    assert follow.followed_id == zoe.id and follow.state == FollowState.accepted


async def test_an_accept_naming_an_unknown_follow_id_matches_by_its_people(scene: Scene) -> None:
    # Mastodon also matches an Accept by the embedded Follow's actor and object.
    found = await scene.ana.client.get("/search", params={"q": "@zoe@mastodon.test"})
    token = await scene.ana.token(found.headers["location"])
    await scene.ana.client.post(found.headers["location"] + "/follow", data={"csrf_token": token})
    await accepted(scene, "accept_follow")  # names https://porch.test/follows/7
    ana = await scene.actor("ana")
    [follow] = await scene.rows(Follow, col(Follow.follower_id) == ana.id)
    assert follow.state == FollowState.accepted


async def test_given_ana_asked_to_follow_zoe_when_zoe_rejects_then_the_request_is_gone(
    scene: Scene,
) -> None:
    found = await scene.ana.client.get("/search", params={"q": "@zoe@mastodon.test"})
    token = await scene.ana.token(found.headers["location"])
    await scene.ana.client.post(found.headers["location"] + "/follow", data={"csrf_token": token})
    await accepted(scene, "reject_follow")
    ana = await scene.actor("ana")
    assert await scene.rows(Follow, col(Follow.follower_id) == ana.id) == []


# Posts


async def test_given_ana_follows_zoe_when_zoe_posts_publicly_then_ana_reads_it(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "create_note_public")

    post = await scene.post_by_uri(PUBLIC_NOTE)
    assert post is not None and post.visibility == Visibility.public
    assert "First jumper of the year" in post.text
    assert post.url == "https://mastodon.test/@zoe/113800000000000001"
    assert post.language == "en"
    assert [t.tag for t in await scene.rows(PostTag, col(PostTag.post_id) == post.id)] == ["porch"]
    # The note is older than Conversations' window: Latest shows every followed post.
    token = await csrf_from(scene.ana.client, "/")
    await scene.ana.client.post("/home/order", data={"order": "latest", "csrf_token": token})
    home = await scene.ana.client.get("/")
    assert "First jumper of the year" in home.text


async def test_when_zoe_posts_publicly_to_nobody_here_then_porch_ignores_it(scene: Scene) -> None:
    # Mastodon keeps only posts that concern someone on the server.
    await accepted(scene, "create_note_public")
    assert await scene.post_by_uri(PUBLIC_NOTE) is None


async def test_when_zoe_replies_to_ana_mentioning_her_then_it_threads_and_ana_is_told(
    scene: Scene,
) -> None:
    await accepted(scene, "create_note_reply_mention")

    reply = await scene.post_by_uri(note_id("create_note_reply_mention"))
    assert reply is not None
    assert reply.in_reply_to_id == scene.ana_post_id and reply.root_id == scene.ana_post_id
    ana = await scene.actor("ana")
    assert [m.actor_id for m in await scene.rows(Mention, col(Mention.post_id) == reply.id)] == [
        ana.id
    ]
    notes = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [(n.kind, n.post_id) for n in notes] == [(NotificationKind.reply, reply.id)]
    thread = await scene.ana.client.get(f"/@ana/{scene.ana_post_id}")
    assert "Is the bench new?" in thread.text


async def test_given_ana_follows_zoe_when_zoe_posts_behind_a_warning_then_it_stays_hidden(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "create_note_cw_attachment")

    post = await scene.post_by_uri(note_id("create_note_cw_attachment"))
    assert post is not None
    assert post.spoiler_text == "food, slightly gross" and post.sensitive
    [image] = await scene.rows(Attachment, col(Attachment.post_id) == post.id)
    assert image.media_type == "image/jpeg" and image.url.endswith("5a1b2c3d4e5f6a7b.jpeg")
    assert image.description.startswith("A grey bowl of lumpy porridge")
    assert (image.width, image.height) == (1200, 900)
    assert image.blurhash == "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"


async def test_when_zoe_posts_to_her_followers_mentioning_ana_then_it_is_followers_only(
    scene: Scene,
) -> None:
    await accepted(scene, "create_note_followers_only")

    post = await scene.post_by_uri(note_id("create_note_followers_only"))
    assert post is not None and post.visibility == Visibility.followers
    page = await scene.ana.client.get(f"/@zoe@mastodon.test/{post.id}")
    assert "yarn swap" in page.text
    visitor = await scene.visitor().get(f"/@zoe@mastodon.test/{post.id}")
    assert visitor.status_code == 404


async def test_when_zoe_writes_to_ana_directly_then_only_ana_may_read_it(scene: Scene) -> None:
    cleo = await scene.member("cleo")
    await accepted(scene, "create_note_direct")

    post = await scene.post_by_uri(note_id("create_note_direct"))
    assert post is not None and post.visibility == Visibility.direct
    page = f"/@zoe@mastodon.test/{post.id}"
    ana_view = await scene.ana.client.get(page)
    assert ana_view.status_code == 200 and "pattern book" in ana_view.text
    assert (await cleo.client.get(page)).status_code == 404
    assert (await scene.visitor().get(page)).status_code == 404
    assert "pattern book" not in (await cleo.client.get("/")).text
    assert "pattern book" not in (await scene.visitor().get("/@zoe@mastodon.test")).text


async def test_given_ana_follows_zoe_when_zoe_asks_a_question_then_the_poll_is_kept(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "create_question")

    post = await scene.post_by_uri(note_id("create_question"))
    assert post is not None and "socks or a hat" in post.text
    [poll] = await scene.rows(Poll, col(Poll.post_id) == post.id)
    assert poll.options == [{"title": "Socks", "votes": 3}, {"title": "A hat", "votes": 2}]
    assert not poll.multiple and poll.voters_count == 5
    assert utc(poll.closes_at) == datetime(2025, 1, 18, 9, 0, tzinfo=UTC)


# Likes, boosts, blocks


async def test_when_zoe_likes_ana_post_then_it_counts_and_ana_is_told(scene: Scene) -> None:
    await accepted(scene, "like")

    [like] = await scene.rows(Like, col(Like.post_id) == scene.ana_post_id)
    assert like.actor_id == (await scene.actor(ZOE)).id
    assert like.uri == fixture("like")["id"]
    ana = await scene.actor("ana")
    notes = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [(n.kind, n.post_id) for n in notes] == [(NotificationKind.favourite, scene.ana_post_id)]


async def test_given_zoe_liked_ana_post_when_she_takes_it_back_then_the_like_is_gone(
    scene: Scene,
) -> None:
    await accepted(scene, "like")
    await accepted(scene, "undo_like")
    assert await scene.rows(Like, col(Like.post_id) == scene.ana_post_id) == []


async def test_when_zoe_boosts_ana_post_then_the_boost_is_kept_and_ana_is_told(
    scene: Scene,
) -> None:
    await accepted(scene, "announce")

    [boost] = await scene.rows(Post, col(Post.reblog_of_id) == scene.ana_post_id)
    assert boost.actor_id == (await scene.actor(ZOE)).id
    assert boost.uri == fixture("announce")["id"]
    ana = await scene.actor("ana")
    notes = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [(n.kind, n.post_id) for n in notes] == [(NotificationKind.reblog, scene.ana_post_id)]


async def test_given_zoe_boosted_ana_post_when_she_undoes_it_then_the_boost_is_gone(
    scene: Scene,
) -> None:
    await accepted(scene, "announce")
    await accepted(scene, "undo_announce")
    assert await scene.rows(Post, col(Post.reblog_of_id) == scene.ana_post_id) == []


async def test_given_they_follow_each_other_when_zoe_blocks_ana_then_the_follows_end(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "follow")
    await accepted(scene, "block")

    ana, zoe = await scene.actor("ana"), await scene.actor(ZOE)
    [block] = await scene.rows(Block, col(Block.actor_id) == zoe.id)
    assert block.target_id == ana.id and block.uri == fixture("block")["id"]
    assert await scene.rows(Follow) == []


async def test_given_zoe_blocked_ana_when_she_unblocks_then_the_block_is_gone(
    scene: Scene,
) -> None:
    await accepted(scene, "block")
    await accepted(scene, "undo_block")
    assert await scene.rows(Block) == []


# Edits and deletions


async def test_given_ana_read_zoe_post_when_zoe_edits_it_then_the_old_text_is_history(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "create_note_public")
    await accepted(scene, "update_note")

    post = await scene.post_by_uri(PUBLIC_NOTE)
    assert post is not None and "and it even fits!" in post.text
    assert utc(post.edited_at) == datetime(2025, 1, 15, 10, 42, 17, tzinfo=UTC)
    [old] = await scene.rows(PostEdit, col(PostEdit.post_id) == post.id)
    assert "off the needles!" in old.text and "it even fits" not in old.text
    assert [t.tag for t in await scene.rows(PostTag, col(PostTag.post_id) == post.id)] == ["porch"]


async def test_when_zoe_edits_a_post_twice_then_the_older_edit_does_not_win(
    scene: Scene,
) -> None:
    # Deliveries can overtake each other; Mastodon applies an edit only if it is newer.
    await scene.ana_follows_zoe()
    await accepted(scene, "create_note_public")
    await accepted(scene, "update_note")

    def older(update: dict[str, Any]) -> None:
        update["id"] += "-older"
        update["object"]["updated"] = "2025-01-15T10:30:00Z"
        update["object"]["content"] = "<p>An older draft.</p>"

    await accepted(scene, "update_note", mutate=older)
    post = await scene.post_by_uri(PUBLIC_NOTE)
    assert post is not None and "and it even fits!" in post.text


async def test_when_zoe_renames_herself_then_porch_shows_the_new_name(scene: Scene) -> None:
    await accepted(scene, "update_person")

    zoe = await scene.actor(ZOE)
    assert zoe.display_name == "Zoë Kowalczyk"
    assert "allotment on Saturdays" in zoe.bio
    profile = await scene.ana.client.get("/@zoe@mastodon.test")
    assert "Zoë Kowalczyk" in profile.text


async def test_given_ana_read_zoe_post_when_zoe_deletes_it_then_it_stays_gone(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "create_note_public")
    await accepted(scene, "delete_note")

    assert await scene.post_by_uri(PUBLIC_NOTE) is None
    assert [t.uri for t in await scene.rows(Tombstone)] == [PUBLIC_NOTE]
    # The same Create again, and a late copy under another activity id: both ignored.
    await accepted(scene, "create_note_public")
    await accepted(scene, "create_note_public", mutate=lambda a: {**a, "id": a["id"] + "/again"})
    assert await scene.post_by_uri(PUBLIC_NOTE) is None


async def test_when_zoe_deletes_a_post_porch_never_saw_then_a_late_create_is_ignored(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "delete_note")
    await accepted(scene, "create_note_public")
    assert await scene.post_by_uri(PUBLIC_NOTE) is None


async def test_when_zoe_deletes_her_account_then_her_posts_and_follows_go(scene: Scene) -> None:
    await scene.ana_follows_zoe()
    await accepted(scene, "follow")
    await accepted(scene, "create_note_public")
    await accepted(scene, "create_note_reply_mention")
    await accepted(scene, "like")

    scene.mastodon.zoe_gone = True
    await accepted(scene, "delete_actor")

    zoe = await scene.actor(ZOE)
    assert await scene.rows(Post, col(Post.actor_id) == zoe.id) == []
    assert await scene.rows(Follow) == []
    assert await scene.rows(Like) == []
    assert await scene.rows(Notification, col(Notification.from_actor_id) == zoe.id) == []
    tombstones = {t.uri for t in await scene.rows(Tombstone)}
    assert {PUBLIC_NOTE, note_id("create_note_reply_mention")} <= tombstones
    assert (await scene.ana.client.get("/@zoe@mastodon.test")).status_code == 404
    # Anything more signed with her old key is refused, not applied.
    late = await scene.deliver("like", mutate=lambda a: {**a, "id": a["id"] + "/late"})
    assert late.status_code in (401, 403) or await scene.rows(Like) == []


# Delivered twice, or not understood


async def test_an_activity_delivered_twice_is_applied_once(scene: Scene) -> None:
    await accepted(scene, "follow")
    await accepted(scene, "create_note_reply_mention")
    await accepted(scene, "like")
    before = await scene.counts()

    await accepted(scene, "follow")
    await accepted(scene, "create_note_reply_mention")
    await accepted(scene, "like")
    assert await scene.counts() == before
    await scene.drain()
    accepts = [b for b in scene.mastodon.posts_to("/users/zoe/inbox") if b["type"] == "Accept"]
    assert len(accepts) == 1


async def test_a_like_undone_and_then_redelivered_stays_undone(scene: Scene) -> None:
    await accepted(scene, "like")
    await accepted(scene, "undo_like")
    await accepted(scene, "like")
    assert await scene.rows(Like) == []


async def test_an_unknown_type_is_accepted_and_nothing_is_kept(scene: Scene) -> None:
    before = await scene.counts()
    arrive = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.test/users/zoe#arrivals/1",
        "type": "Arrive",
        "actor": ZOE,
        "location": {"type": "Place", "name": "The porch"},
    }
    await accepted(scene, arrive)
    after = await scene.counts()
    after.pop("received_activities")
    before.pop("received_activities")
    assert after == before


async def test_a_personal_inbox_takes_the_same_activities(scene: Scene) -> None:
    await accepted(scene, "follow", path="/users/ana/inbox")
    assert len(await zoe_follows(scene)) == 1


async def test_zoe_is_known_with_her_profile_after_her_first_activity(scene: Scene) -> None:
    await accepted(scene, "follow")
    zoe: Actor = await scene.actor(ZOE)
    assert (zoe.username, zoe.domain, zoe.display_name) == ("zoe", "mastodon.test", "Zoe")
    assert zoe.inbox_url == "https://mastodon.test/users/zoe/inbox"
    assert zoe.shared_inbox_url == "https://mastodon.test/inbox"
    assert zoe.followers_url == "https://mastodon.test/users/zoe/followers"


async def test_when_zoe_addresses_ana_without_tagging_her_then_ana_may_still_read_it(
    scene: Scene,
) -> None:
    # Mastodon's "limited" posts name people in to/cc with no Mention tag (§4.2).
    await accepted(scene, "create_note_direct", mutate=lambda a: a["object"].update(tag=[]))

    post = await scene.post_by_uri(note_id("create_note_direct"))
    assert post is not None and post.visibility == Visibility.direct
    ana_view = await scene.ana.client.get(f"/@zoe@mastodon.test/{post.id}")
    assert ana_view.status_code == 200 and "pattern book" in ana_view.text


async def test_given_ana_blocked_zoe_when_zoe_mentions_her_then_ana_is_not_told(
    scene: Scene,
) -> None:
    await accepted(scene, "follow")
    ana, zoe = await scene.actor("ana"), await scene.actor(ZOE)
    async with scene.session() as session:
        await blocks.block(session, ana, zoe, scene.clock.now())
    await scene.deliver("create_note_reply_mention")
    notes = await scene.rows(Notification, col(Notification.recipient_id) == ana.id)
    assert [n.kind for n in notes] == [NotificationKind.follow]


async def test_when_zoe_poll_gets_votes_then_the_tallies_change_without_an_edit(
    scene: Scene,
) -> None:
    # Mastodon re-sends its Question without `updated` as votes come in: an implicit
    # update that refreshes the tallies and is not an edit (ProcessStatusUpdateService).
    await scene.ana_follows_zoe()
    await accepted(scene, "create_question")

    def votes(create: dict[str, Any]) -> dict[str, Any]:
        question = create["object"]
        question["oneOf"][0]["replies"]["totalItems"] = 7
        question["votersCount"] = 9
        question["content"] = "<p>Quietly changed text.</p>"
        return {**create, "id": question["id"] + "#updates/1", "type": "Update"}

    await accepted(scene, "create_question", mutate=votes)
    post = await scene.post_by_uri(note_id("create_question"))
    assert post is not None and "socks or a hat" in post.text and post.edited_at is None
    assert await scene.rows(PostEdit) == []
    [poll] = await scene.rows(Poll, col(Poll.post_id) == post.id)
    assert poll.options == [{"title": "Socks", "votes": 7}, {"title": "A hat", "votes": 2}]
    assert poll.voters_count == 9


async def test_a_reply_to_a_post_porch_never_had_concerns_nobody(scene: Scene) -> None:
    phantom = "https://porch.test/users/ana/statuses/1234"

    def to_phantom(create: dict[str, Any]) -> None:
        create["cc"] = create["object"]["cc"] = [ZOE + "/followers"]
        create["object"]["tag"] = []
        create["object"]["inReplyTo"] = phantom

    await accepted(scene, "create_note_reply_mention", mutate=to_phantom)
    assert await scene.post_by_uri(note_id("create_note_reply_mention")) is None


async def test_given_ana_follows_zoe_when_zoe_boosts_yan_post_then_ana_reads_it(
    scene: Scene,
) -> None:
    await scene.ana_follows_zoe()
    yan = scene.mastodon.add_person("yan", KeyPair.generate(), host=OTHER)
    note = json.loads(json.dumps(scene.load("create_note_public")["object"]).replace(ZOE, yan))
    scene.mastodon.publish(note)

    # Embedded copies are not trusted: Porch reads the post from Yan's server.
    forged = {**note, "content": "<p>Words Yan never wrote.</p>"}
    await accepted(scene, "announce", mutate=lambda a: {**a, "object": forged})

    post = await scene.post_by_uri(note["id"])
    assert post is not None and "First jumper of the year" in post.text
    assert post.actor_id == (await scene.actor(yan)).id
    [boost] = await scene.rows(Post, col(Post.reblog_of_id) == post.id)
    assert boost.actor_id == (await scene.actor(ZOE)).id
    await accepted(scene, "undo_announce")
    assert await scene.rows(Post, col(Post.reblog_of_id) == post.id) == []
