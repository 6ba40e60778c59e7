"""Posting and ingest run a small, fixed number of SQL statements, however many people
a post mentions: composing, publishing, and applying a Create that arrives.

Each test counts the statements one operation sends (tests/statements.py) for a post
mentioning one member and for one mentioning ten, and holds both to the same ceiling.
The counts are behaviour (one batched INSERT for many rows, one query for many people),
not timing.
"""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Like, Mention, Notification, Post, PostTag, ReceivedActivity
from server.services import accounts, feeds, norms, posting_rules, posts, publishing
from server.services.posts import Composition
from tests.conftest import PASSWORD
from tests.federation.mastodon_double import (
    ZOE,
    Scene,
    scene_fixture,  # noqa: F401
    scene_on_both_fixture,  # noqa: F401
)
from tests.statements import statements

#: The counts reached; an operation that grows past one has gained a statement.
#: Composing: the author's language when the post does not say one, the day's budget,
#: the people mentioned, the post, its mentions, its tags, the author's default policy
#: for its visibility, its policy, its scheduled publish, its row in its author's home
#: feed and the care event of its pause (a reply also ties the nudges and cards shown on
#: the way to it: one UPDATE more).
COMPOSE = 11
#: With an Idempotency-Key: the key looked up, expired keys forgotten, the key stored.
COMPOSE_WITH_KEY = COMPOSE + 3
#: Publishing: the state move, the post, who is told, what their notification policies
#: say, their notifications, the thread's signals (one INSERT that counts the author's
#: recent posts), the outbox row, whether it quotes a post, the schedule row gone, the
#: author's counter row, its rows in the feeds it enters, and its pause's care event
#: (ended as written, unless edited).
PUBLISH = 12
#: A reply arriving: the sender's domain policy, the activity id once, what Porch knows
#: of the note (tombstone, a follower here, stored already, replies waiting for it: one
#: statement, server/services/arrivals.py), the people mentioned, the parent, the post,
#: its mentions and tags, who is told, what their notification policies say, their
#: notifications, the thread's signals (three for a reply), the counter rows of the author
#: and of the post answered, its rows in the feeds it enters, what the thread's pile-on
#: shield needs to know (its author, whether the replier is known to them, and the shield
#: if up: one statement, server/services/shields.py), the interaction policy its server
#: published (Mastodon 4.5 publishes canQuote on every Note), and the policy of the post
#: answered (its own, else the community's default: two when it has none).
INGEST = 20

FRIENDS = [f"friend{i}" for i in range(10)]


@pytest.fixture(autouse=True)
def no_trimming(monkeypatch: pytest.MonkeyPatch) -> None:
    """One post in feeds.TRIM_EVERY also cuts the feeds it enters back to their bound
    (tests/test_feeds.py); the counts here are the other posts'."""
    monkeypatch.setattr(feeds, "TRIM_EVERY", 2**64)


async def members(app: Starlette, clock: FrozenClock, names: list[str]) -> None:
    async with app.state.sessions() as session:
        for name in names:
            await accounts.create_member(
                session,
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
                now=clock.now(),
            )


async def compose(app: Starlette, clock: FrozenClock, text: str, key: str | None) -> list[str]:
    """Ana writes `text` through the posting service; the statements it ran."""
    async with app.state.sessions() as session:
        rules = posting_rules.rules(
            await norms.current(session, app.state.settings), app.state.settings.base_url
        )
        ana = await accounts.local_actor(session, "ana")
        with statements(app.state.engine) as seen:
            await posts.compose(
                session,
                app.state.jobs,
                app.state.remote_lookup,
                ana,
                Composition(text),
                rules,
                clock.now(),
                idempotency_key=key,
            )
    return seen


def mentioning(names: list[str]) -> str:
    return "Tea on the porch tonight, " + " ".join(f"@{n}" for n in names) + " #tea #evening"


@pytest.mark.parametrize("key", [None, "ana-phone-1"])
async def test_composing_runs_the_same_few_statements_for_one_mention_or_ten(
    app, clock, people, key
) -> None:
    """Ana invites one friend, then ten: the post is written with as many statements."""
    await members(app, clock, FRIENDS)
    one = await compose(app, clock, mentioning(FRIENDS[:1]), key and key + "a")
    ten = await compose(app, clock, mentioning(FRIENDS), key and key + "b")

    assert len(one) == len(ten) <= (COMPOSE_WITH_KEY if key else COMPOSE), ten
    async with app.state.sessions() as session:
        [post] = (await session.exec(select(Post).where(col(Post.text).contains("@friend9")))).all()
        mentioned = await session.exec(select(Mention).where(Mention.post_id == post.id))
        tags = await session.exec(select(PostTag.tag).where(PostTag.post_id == post.id))
    assert len(mentioned.all()) == 10 and sorted(tags.all()) == ["evening", "tea"]


async def test_publishing_runs_the_same_few_statements_for_one_mention_or_ten(
    app, clock, people
) -> None:
    """Both posts end their pause: each is published, and each friend told, with as many
    statements whether it mentions one friend or ten."""
    await members(app, clock, FRIENDS)
    await compose(app, clock, mentioning(FRIENDS[:1]), None)
    await compose(app, clock, mentioning(FRIENDS), None)
    clock.advance(3600)
    counts = []
    async with app.state.sessions() as session:
        for post_id in await publishing.due(session, clock.now()):
            with statements(app.state.engine) as seen:
                assert await publishing.publish(session, post_id, clock.now())
            counts.append(len(seen))

    assert counts[0] == counts[1] <= PUBLISH, counts
    async with app.state.sessions() as session:
        told = await session.exec(select(Notification.recipient_id))
    assert len(told.all()) == 11  # friend0 twice, the other nine once


def note(scene: Scene, number: int, names: list[str]) -> dict:
    """Zoe's public reply to Ana's post, mentioning `names` here."""
    activity = scene.load("create_note_reply_mention")
    note_id = f"{ZOE}/statuses/1139{number:014d}"
    people = [f"https://porch.test/users/{name}" for name in names]
    activity["id"] = note_id + "/activity"
    activity["object"] |= {
        "id": note_id,
        "cc": [f"{ZOE}/followers", *people],
        "tag": [{"type": "Mention", "href": href, "name": "@x@porch.test"} for href in people]
        + [{"type": "Hashtag", "href": "https://mastodon.test/tags/tea", "name": "#tea"}],
    }
    activity["cc"] = activity["object"]["cc"]
    return activity


async def test_a_create_from_elsewhere_is_applied_with_the_same_few_statements(
    scene_on_both: Scene,
) -> None:
    """Zoe, whom Ana follows, replies to Ana mentioning one person here, then ten: each
    is stored, threaded and notified with as many statements."""
    scene = scene_on_both
    await scene.ana_follows_zoe()
    async with scene.session() as session:
        for name in FRIENDS:
            await accounts.create_member(
                session,
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
                now=scene.clock.now(),
            )
    counts = []
    for number, names in enumerate([["ana"], ["ana", *FRIENDS[:9]]]):
        with statements(scene.app.state.engine) as seen:
            response = await scene.deliver(note(scene, number, names))
        assert response.status_code == 202, response.text
        counts.append(len(seen))

    assert counts[0] == counts[1] <= INGEST, counts
    told = await scene.rows(Notification, col(Notification.recipient_id).is_not(None))
    # Ana hears of both as replies to her; nine friends of the second as a mention.
    assert sorted(n.kind for n in told).count("reply") == 2 and len(told) == 11


async def test_a_redelivered_create_is_answered_with_one_statement_after_the_key(
    scene: Scene,
) -> None:
    """Zoe's server sends the same Create again (it did not hear the 202): Porch answers
    202 again and stores nothing twice."""
    await scene.ana_follows_zoe()
    assert (await scene.deliver(note(scene, 1, ["ana"]))).status_code == 202
    before = await scene.counts()
    with statements(scene.app.state.engine) as seen:
        again = await scene.deliver(note(scene, 1, ["ana"]))

    assert again.status_code == 202
    assert await scene.counts() == before
    assert [s.split()[0] for s in seen][-1] == "INSERT"  # the once-only row, and no more


async def test_a_refused_activity_is_remembered_so_its_redelivery_is_not_applied_again(
    scene: Scene,
) -> None:
    """Zoe likes a post of Ana's she may not see: the rules refuse it (its writes rolled
    back), yet its id is kept, so the same Like sent again ends at the once-only row."""
    hidden = await scene.ana.post("Only for my followers.", visibility="followers")
    await scene.drain(31)
    like = scene.load("like") | {"object": f"https://porch.test/users/ana/statuses/{hidden}"}
    assert (await scene.deliver(like)).status_code == 202
    [kept] = await scene.rows(ReceivedActivity, col(ReceivedActivity.uri) == like["id"])

    with statements(scene.app.state.engine) as seen:
        again = await scene.deliver(like)

    assert again.status_code == 202
    assert [s.split()[0] for s in seen][-1] == "INSERT"  # nothing after the once-only row
    assert await scene.rows(Like) == []
