"""The Conversations timeline ranks meaningful conversation first (Conversation Score v0).

Each test builds a scenario through the real paths (members post through the web and
wait out their pause, remote accounts' posts arrive through `remote_posts.ingest`,
likes through `reactions.like`) and asserts a relation between two items ("A ranks
above B"), never a snapshot of scores. A few unit tests cover the pure summing in
`thread_sums.summarise`.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, FollowState, Post, ThreadSignals, Visibility
from server.services import (
    explanations,
    follows,
    norms,
    ranked_timeline,
    ranking,
    reactions,
    remote_posts,
    thread_sums,
)
from server.services.errors import Invalid
from server.services.remote_posts import RemotePost
from server.services.thread_sums import Fact, Thresholds, substance_length, summarise
from tests.conftest import Person, client_for, publish_due, sign_up

WEIGHTS = ranking.Weights()
#: Remote accounts are known for a month before they reply (past the 24 h trust gate).
LONG_KNOWN = timedelta(days=30)
MINUTE = 60

# Replies long enough to count (at least 20 characters once mentions etc. are out),
# all about the same length, so the "substance" term is the same everywhere.
OPENING = "Has anyone here tried growing tomatoes on a north-facing balcony this year?"
TURN = "I tried it last summer; the cherry ones did fine but needed a lot of patience."
ONE_OFF = "This is a take I have seen far too often."
PLAIN = "A photo of the harbour at dawn, nothing more to add today."

_uris = itertools.count(1)


# --- Building scenarios -------------------------------------------------------------


@pytest.fixture
async def dan(app: Starlette) -> AsyncIterator[Person]:
    """The reader: a fourth member, who takes part in none of the conversations."""
    person = await sign_up(client_for(app), "dan")
    yield person
    await person.client.aclose()


async def actor_id(app: Starlette, username: str) -> int:
    async with app.state.sessions() as session:
        found = (await session.exec(select(Actor).where(Actor.acct_key == username))).one()
        assert found.id is not None
        return found.id


async def remote_accounts(
    app: Starlette,
    clock: FrozenClock,
    count: int,
    domains: Sequence[str],
    *,
    prefix: str,
    known_for: timedelta = LONG_KNOWN,
    display_name: str = "",
) -> list[int]:
    """`count` accounts from other servers (round-robin over `domains`), first seen
    `known_for` ago."""
    async with app.state.sessions() as session:
        actors = []
        for number in range(count):
            domain = domains[number % len(domains)]
            username = f"{prefix}{number}"
            actor = Actor(
                username=username,
                domain=domain,
                acct_key=f"{username}@{domain}",
                uri=f"https://{domain}/users/{username}",
                display_name=display_name,
                created_at=clock.now() - known_for,
            )
            session.add(actor)
            actors.append(actor)
        await session.commit()
        return [a.id for a in actors if a.id is not None]


async def remote_post(
    app: Starlette,
    clock: FrozenClock,
    author_id: int,
    text: str,
    *,
    at: datetime | None = None,
    reply_to: int | None = None,
    reply_to_uri: str | None = None,
    visibility: Visibility = Visibility.public,
    uri: str | None = None,
) -> int:
    """A post from another server, stored as the inbox stores it (one session each)."""
    async with app.state.sessions() as session:
        author = await session.get(Actor, author_id)
        assert author is not None
        note = RemotePost(
            uri=uri or f"https://{author.domain}/notes/{next(_uris)}",
            url=None,
            content_html=f"<p>{text}</p>",
            text=text,
            spoiler_text="",
            sensitive=False,
            visibility=visibility,
            published_at=at or clock.now(),
            language=None,
            in_reply_to_id=reply_to,
            in_reply_to_uri=reply_to_uri,
        )
        post = await remote_posts.ingest(session, author, note, clock.now())
        return post.id


async def follow(app: Starlette, clock: FrozenClock, follower_id: int, target_id: int) -> None:
    """`follower` follows `target`; a remote account's server accepts at once."""
    async with app.state.sessions() as session:
        follower = await session.get(Actor, follower_id)
        target = await session.get(Actor, target_id)
        assert follower is not None and target is not None
        row = await follows.follow(session, follower, target, clock.now())
        if row.state != FollowState.accepted:
            await follows.accepted_by_remote(session, row)


async def published_at(app: Starlette, post_id: int) -> datetime:
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.published_at is not None
        at = post.published_at
        return at if at.tzinfo else at.replace(tzinfo=UTC)


async def like_from(
    app: Starlette, clock: FrozenClock, liker_ids: Sequence[int], post_id: int
) -> None:
    async with app.state.sessions() as session:
        likers = (await session.exec(select(Actor).where(col(Actor.id).in_(liker_ids)))).all()
        assert len(likers) == len(liker_ids)
        for liker in likers:
            await reactions.like(session, liker, post_id, clock.now())


async def pile_on(
    app: Starlette,
    clock: FrozenClock,
    root_id: int,
    count: int,
    *,
    domains: Sequence[str],
    prefix: str,
    spacing: timedelta = timedelta(seconds=15),
) -> None:
    """`count` strangers each reply once, `spacing` apart, from the root's publishing on."""
    start = await published_at(app, root_id)
    strangers = await remote_accounts(app, clock, count, domains, prefix=prefix)
    assert start + spacing * (count + 1) <= clock.now(), "move the clock on first"
    for number, stranger in enumerate(strangers, start=1):
        await remote_post(
            app, clock, stranger, ONE_OFF, at=start + spacing * number, reply_to=root_id
        )


async def back_and_forth(app: Starlette, clock: FrozenClock, people: dict[str, Person], root: int):
    """Ben and Cleo answer Ana's published post; Ana answers each of them, and they
    answer back: four slow turns per pair, three minutes apart."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    b = await ben.post(TURN, reply_to=root)
    c = await cleo.post(TURN, reply_to=root)
    await publish_due(app, clock, 3 * MINUTE)
    for _ in range(2):
        ab = await ana.post(TURN, reply_to=b)
        ac = await ana.post(TURN, reply_to=c)
        await publish_due(app, clock, 3 * MINUTE)
        b = await ben.post(TURN, reply_to=ab)
        c = await cleo.post(TURN, reply_to=ac)
        await publish_due(app, clock, 3 * MINUTE)


async def ranked(app: Starlette, viewer_id: int, now: datetime, w: ranking.Weights = WEIGHTS):
    async with app.state.sessions() as session:
        return await ranked_timeline.rank(session, viewer_id, now, w)


def order_of(items: Sequence[ranking.Scored]) -> list[int]:
    return [item.item_id for item in items]


def by_item(items: Sequence[ranking.Scored]) -> dict[int, ranking.Scored]:
    return {item.item_id: item for item in items}


async def signals_of(app: Starlette, root_id: int) -> ThreadSignals:
    async with app.state.sessions() as session:
        found = await session.get(ThreadSignals, root_id)
        assert found is not None
        return found


def wording(item: ranked_timeline.Ranked, reader: int) -> list[str]:
    """Everything the reader is told about why the item is there."""
    return [
        *explanations.reasons(item, reader),
        *(x.text for x in explanations.lines(item, reader)),
    ]


async def reader_follows(dan: Person, *names: str) -> None:
    for name in names:
        await dan.follow(name)


# --- Conversation outranks reaction -------------------------------------------------


async def test_a_back_and_forth_outranks_a_post_with_500_likes(app, clock, people, dan) -> None:
    await reader_follows(dan, "ana", "ben", "cleo")
    conversation = await people["ana"].post(OPENING)
    liked = await people["ben"].post(PLAIN)
    await publish_due(app, clock, 31)
    await back_and_forth(app, clock, people, conversation)
    fans = await remote_accounts(app, clock, 500, ["fans.example", "more.example"], prefix="fan")
    await like_from(app, clock, fans, liked)

    order = await ranked(app, await actor_id(app, "dan"), clock.now())
    found = by_item(order)
    assert found[liked].terms["likes"] > 0  # the likes were counted, and weigh little
    assert order_of(order).index(conversation) < order_of(order).index(liked)


async def test_a_back_and_forth_outranks_a_pile_on_of_40_strangers(app, clock, people, dan) -> None:
    await reader_follows(dan, "ana", "ben", "cleo")
    conversation = await people["ana"].post(OPENING)
    piled = await people["ben"].post(PLAIN)
    await publish_due(app, clock, 31)
    await back_and_forth(app, clock, people, conversation)
    domains = [f"s{n}.example" for n in range(40)]  # 40 servers: no cap softens it
    await pile_on(app, clock, piled, 40, domains=domains, prefix="crowd")

    assert (await signals_of(app, piled)).pileon
    order = order_of(await ranked(app, await actor_id(app, "dan"), clock.now()))
    assert order.index(conversation) < order.index(piled)


async def test_a_back_and_forth_outranks_a_fast_two_stranger_argument(
    app, clock, people, dan
) -> None:
    await reader_follows(dan, "ana", "ben", "cleo")
    conversation = await people["ana"].post(OPENING)
    argued = await people["ben"].post(OPENING)
    await publish_due(app, clock, 31)
    await back_and_forth(app, clock, people, conversation)
    clock.advance(30 * MINUTE)
    x, y = await remote_accounts(app, clock, 2, ["x.example", "y.example"], prefix="arguer")
    at = await published_at(app, argued) + timedelta(minutes=1)
    parent = argued
    for turn in range(30):  # x, y, x, y ... 40 s apart
        at += timedelta(seconds=40)
        parent = await remote_post(app, clock, (x, y)[turn % 2], TURN, at=at, reply_to=parent)

    signals = await signals_of(app, argued)
    assert signals.dominated
    order = order_of(await ranked(app, await actor_id(app, "dan"), clock.now()))
    assert order.index(conversation) < order.index(argued)


async def test_the_author_joining_raises_a_thread(app, clock, people, dan) -> None:
    await reader_follows(dan, "ana", "cleo")
    reader = await actor_id(app, "dan")
    joined = await people["ana"].post(OPENING)
    silent = await people["cleo"].post(OPENING)
    await publish_due(app, clock, 31)
    x, y, z = await remote_accounts(
        app, clock, 3, ["x.example", "y.example", "z.example"], prefix="r"
    )
    answered = await remote_post(app, clock, x, TURN, reply_to=joined)
    await remote_post(app, clock, y, TURN, reply_to=silent)
    await remote_post(app, clock, z, TURN, reply_to=silent)

    before = await ranked(app, reader, clock.now())
    assert order_of(before).index(silent) < order_of(before).index(joined)  # two voices > one

    await people["ana"].post(TURN, reply_to=answered)
    await publish_due(app, clock, 21)

    after = await ranked(app, reader, clock.now())
    assert by_item(after)[joined].score > by_item(before)[joined].score
    assert "author" in by_item(after)[joined].terms
    assert order_of(after).index(joined) < order_of(after).index(silent)


async def test_people_you_follow_talking_outrank_an_equal_talk_among_strangers(
    app, clock, dan
) -> None:
    reader = await actor_id(app, "dan")
    known_author, other_author = await remote_accounts(
        app, clock, 2, ["a.example", "b.example"], prefix="author"
    )
    friends = await remote_accounts(app, clock, 2, ["f1.example", "f2.example"], prefix="friend")
    strangers = await remote_accounts(
        app, clock, 2, ["s1.example", "s2.example"], prefix="stranger"
    )
    for someone in (known_author, other_author, *friends):
        await follow(app, clock, reader, someone)
    start = clock.now()
    clock.advance(2 * 3600)
    roots = {}
    for author, repliers in ((known_author, friends), (other_author, strangers)):
        root = await remote_post(app, clock, author, OPENING, at=start)
        roots[author] = root
        for number, replier in enumerate(repliers):
            at = start + timedelta(minutes=10 * number)
            first = await remote_post(
                app, clock, replier, TURN, at=at + timedelta(minutes=1), reply_to=root
            )
            answer = await remote_post(
                app, clock, author, TURN, at=at + timedelta(minutes=4), reply_to=first
            )
            await remote_post(
                app, clock, replier, TURN, at=at + timedelta(minutes=8), reply_to=answer
            )

    found = by_item(await ranked(app, reader, clock.now()))
    among_friends, among_strangers = found[roots[known_author]], found[roots[other_author]]
    assert among_friends.score > among_strangers.score
    assert set(among_friends.known_ids) == set(friends)
    assert among_strangers.known_ids == []
    # Only what the reader knows differs between the two.
    assert {k: v for k, v in among_friends.terms.items() if k != "known"} == pytest.approx(
        among_strangers.terms
    )


async def quiet_mutual_and_loud_poster(
    app, clock, people, dan, *, alongside: Person | None = None
) -> tuple[int, int, int, int | None]:
    """The reader and Ana follow each other; Ana posts once. A remote account the reader
    follows posts often (three posts in the day before) and posts again at the same
    moment, as does `alongside` if given. Returns (reader, Ana's post, the loud
    account's post, `alongside`'s post)."""
    await reader_follows(dan, "ana")
    await people["ana"].follow("dan")
    reader = await actor_id(app, "dan")
    loud = (await remote_accounts(app, clock, 1, ["loud.example"], prefix="loud"))[0]
    await follow(app, clock, reader, loud)
    for hours in (20, 12, 4):
        await remote_post(app, clock, loud, PLAIN, at=clock.now() - timedelta(hours=hours))
    quiet = await people["ana"].post(PLAIN)
    other = await alongside.post(PLAIN) if alongside is not None else None
    await publish_due(app, clock, 31)
    loud_post = await remote_post(app, clock, loud, PLAIN, at=await published_at(app, quiet))
    clock.advance(30 * MINUTE)
    assert (await signals_of(app, loud_post)).author_recent_posts > WEIGHTS.quiet_posts
    return reader, quiet, loud_post, other


async def test_a_rarely_posting_mutuals_quiet_post_is_not_buried(app, clock, people, dan) -> None:
    # Ben posts often, and his latest post (as old as Ana's) is liked by many.
    await reader_follows(dan, "ben")
    for _ in range(3):
        await people["ben"].post(PLAIN)
        await publish_due(app, clock, 3 * 3600)
    reader, quiet, piled, liked = await quiet_mutual_and_loud_poster(
        app, clock, people, dan, alongside=people["ben"]
    )
    assert liked is not None
    fans = await remote_accounts(app, clock, 100, ["fans.example", "more.example"], prefix="fan")
    await like_from(app, clock, fans, liked)
    # The loud account's post draws a pile-on the size of the one in the proposal's
    # worked example (18 strangers, arriving fast).
    domains = [f"s{n}.example" for n in range(18)]
    await pile_on(app, clock, piled, 18, domains=domains, prefix="crowd")

    assert (await signals_of(app, liked)).author_recent_posts > WEIGHTS.quiet_posts
    assert (await signals_of(app, piled)).pileon
    found = await ranked(app, reader, clock.now())
    assert "likes" in by_item(found)[liked].terms
    order = order_of(found)
    assert order.index(quiet) < order.index(liked)
    assert order.index(quiet) < order.index(piled)


async def test_a_rarely_posting_mutuals_quiet_post_is_not_buried_by_a_pile_on_of_40(
    app, clock, people, dan
) -> None:
    reader, quiet, piled, _ = await quiet_mutual_and_loud_poster(app, clock, people, dan)
    domains = [f"s{n}.example" for n in range(40)]
    await pile_on(app, clock, piled, 40, domains=domains, prefix="crowd")

    assert (await signals_of(app, piled)).pileon
    order = order_of(await ranked(app, reader, clock.now()))
    assert order.index(quiet) < order.index(piled)


async def test_decay_brings_an_older_equal_thread_down(app, clock, dan) -> None:
    reader = await actor_id(app, "dan")
    authors = await remote_accounts(app, clock, 2, ["a.example", "b.example"], prefix="author")
    repliers = await remote_accounts(app, clock, 4, ["r1.example", "r2.example"], prefix="r")
    for author in authors:
        await follow(app, clock, reader, author)

    async def thread(author: int, pair: Sequence[int]) -> int:
        start = clock.now()
        root = await remote_post(app, clock, author, OPENING, at=start)
        clock.advance(20 * MINUTE)
        for number, replier in enumerate(pair):
            reply = await remote_post(
                app, clock, replier, TURN, at=start + timedelta(minutes=1 + number), reply_to=root
            )
            await remote_post(
                app, clock, author, TURN, at=start + timedelta(minutes=5 + number), reply_to=reply
            )
        return root

    older = await thread(authors[0], repliers[:2])
    clock.advance(48 * 3600)
    newer = await thread(authors[1], repliers[2:])

    found = by_item(await ranked(app, reader, clock.now()))
    assert found[newer].score > found[older].score
    assert found[older].terms["decay"] < found[newer].terms["decay"]
    same = {k: v for k, v in found[older].terms.items() if k != "decay"}
    assert same == pytest.approx({k: v for k, v in found[newer].terms.items() if k != "decay"})


async def test_one_author_with_ten_strong_threads_does_not_fill_the_top_of_the_page(
    app, clock, dan
) -> None:
    reader = await actor_id(app, "dan")
    prolific = (await remote_accounts(app, clock, 1, ["busy.example"], prefix="busy"))[0]
    others = await remote_accounts(app, clock, 6, [f"o{n}.example" for n in range(6)], prefix="o")
    repliers = await remote_accounts(
        app, clock, 20, [f"r{n}.example" for n in range(20)], prefix="replier"
    )
    for author in (prolific, *others):
        await follow(app, clock, reader, author)
    start = clock.now()
    clock.advance(3600)

    async def talk(author: int, root: int, replier: int, at: datetime) -> None:
        reply = await remote_post(app, clock, replier, TURN, at=at, reply_to=root)
        await remote_post(app, clock, author, TURN, at=at + timedelta(minutes=3), reply_to=reply)

    strong = []
    for number in range(10):  # each thread: two people answered by the author
        at = start + timedelta(seconds=number)
        root = await remote_post(app, clock, prolific, OPENING, at=at)
        strong.append(root)
        await talk(prolific, root, repliers[2 * number], at + timedelta(minutes=1))
        await talk(prolific, root, repliers[2 * number + 1], at + timedelta(minutes=2))
    weaker = []
    for number, author in enumerate(others):  # each: one person, answered
        at = start + timedelta(seconds=number)
        root = await remote_post(app, clock, author, OPENING, at=at)
        weaker.append(root)
        await talk(author, root, repliers[number], at + timedelta(minutes=1))

    order = await ranked(app, reader, clock.now())
    assert len(order) == 16
    raw = {s.item_id: s.score / s.terms.get("diversity", 1.0) for s in order}
    # On scores alone the prolific author would take the first ten places...
    assert min(raw[i] for i in strong) > max(raw[i] for i in weaker)
    # ...but the page mixes in other people's (weaker) posts near the top.
    top = order_of(order)[:5]
    assert sum(1 for i in top if i in strong) <= 2
    assert any(i in weaker for i in order_of(order)[:3])
    # Every other author is seen before the prolific one's sixth thread.
    assert (
        max(order_of(order).index(i) for i in weaker)
        < sorted(order_of(order).index(i) for i in strong)[5]
    )


async def test_a_brigade_from_one_server_is_capped(app, clock, dan) -> None:
    reader = await actor_id(app, "dan")
    authors = await remote_accounts(app, clock, 3, ["a.example", "b.example"], prefix="author")
    for author in authors:
        await follow(app, clock, reader, author)
    start = clock.now()
    clock.advance(9 * 3600)
    brigaded = await remote_post(app, clock, authors[0], OPENING, at=start)
    honest = await remote_post(app, clock, authors[1], OPENING, at=start)
    rushed = await remote_post(app, clock, authors[2], OPENING, at=start)
    slow = timedelta(minutes=15)  # spread out: not a pile-on, so only the cap is at work
    await pile_on(
        app, clock, brigaded, 30, domains=["brigade.example"], prefix="brigade", spacing=slow
    )
    await pile_on(
        app,
        clock,
        honest,
        30,
        domains=[f"h{n}.example" for n in range(30)],
        prefix="honest",
        spacing=slow,
    )
    await pile_on(app, clock, rushed, 30, domains=["rush.example"], prefix="rush")

    brigade, spread, rush = (
        await signals_of(app, brigaded),
        await signals_of(app, honest),
        await signals_of(app, rushed),
    )
    t = Thresholds()
    # Three from the brigade's server count whole, the other 27 a quarter each.
    capped = t.full_repliers_per_server + (30 - t.full_repliers_per_server) * t.extra_replier_weight
    assert not brigade.pileon and brigade.voices == pytest.approx(capped)
    assert spread.voices == 30
    # Arriving fast as well, the brigade is a pile-on: capped and shown lower.
    assert rush.pileon and rush.voices <= capped
    order = order_of(await ranked(app, reader, clock.now()))
    assert order.index(honest) < order.index(brigaded) < order.index(rushed)


# --- Explanations only speak of what the reader can see -----------------------------


async def test_explanations_never_name_a_followers_only_reply_the_reader_cannot_see(
    app, clock, people, dan
) -> None:
    await reader_follows(dan, "ana")
    reader = await actor_id(app, "dan")
    root = await people["ana"].post(OPENING)
    await publish_due(app, clock, 31)
    public_one = (
        await remote_accounts(app, clock, 1, ["p.example"], prefix="pat", display_name="Pat Public")
    )[0]
    secret = (
        await remote_accounts(
            app, clock, 1, ["s.example"], prefix="sid", display_name="Sienna Secret"
        )
    )[0]
    await remote_post(app, clock, public_one, TURN, reply_to=root)

    async def first_page() -> ranked_timeline.Ranked:
        async with app.state.sessions() as session:
            found = await ranked_timeline.page(session, reader, clock.now(), WEIGHTS)
        (item,) = [i for i in found.items if i.view.post.id == root]
        return item

    before = await first_page()
    await remote_post(app, clock, secret, TURN, reply_to=root, visibility=Visibility.followers)
    after = await first_page()

    assert after.known == []
    assert after.counts == before.counts
    assert not any("Sienna" in text or "sid0" in text for text in wording(after, reader))
    assert wording(after, reader) == wording(before, reader)


async def test_a_followers_only_reply_by_someone_the_reader_follows_is_a_voice_and_named(
    app, clock, people, dan
) -> None:
    await reader_follows(dan, "ana")
    reader = await actor_id(app, "dan")
    friend = (
        await remote_accounts(app, clock, 1, ["f.example"], prefix="fay", display_name="Fay Friend")
    )[0]
    await follow(app, clock, reader, friend)
    root = await people["ana"].post(OPENING)
    await publish_due(app, clock, 31)
    await remote_post(app, clock, friend, TURN, reply_to=root, visibility=Visibility.followers)

    async with app.state.sessions() as session:
        found = await ranked_timeline.page(session, reader, clock.now(), WEIGHTS)
    (item,) = [i for i in found.items if i.view.post.id == root]
    assert [a.id for a in item.known] == [friend]
    assert "known" in item.terms
    assert item.counts["repliers"] == 1
    assert "Fay Friend, whom you follow, is talking here" in wording(item, reader)
    assert "1 person replied" in wording(item, reader)


async def test_a_direct_reply_by_someone_followed_does_not_bring_a_thread_in(
    app, clock, dan
) -> None:
    reader = await actor_id(app, "dan")
    friend, stranger = await remote_accounts(app, clock, 2, ["f.example", "s.example"], prefix="p")
    await follow(app, clock, reader, friend)
    root = await remote_post(app, clock, stranger, OPENING)
    await remote_post(app, clock, friend, TURN, reply_to=root, visibility=Visibility.direct)

    assert root not in order_of(await ranked(app, reader, clock.now()))


# --- Paging ---------------------------------------------------------------------------


async def test_paging_neither_repeats_nor_skips_while_replies_arrive(app, clock, dan) -> None:
    reader = await actor_id(app, "dan")
    count = ranked_timeline.PAGE + 2
    authors = await remote_accounts(
        app, clock, count, [f"a{n}.example" for n in range(count)], prefix="a"
    )
    repliers = await remote_accounts(app, clock, 3, ["r1.example", "r2.example"], prefix="r")
    for author in authors:
        await follow(app, clock, reader, author)
    start = clock.now()
    clock.advance(3600)
    roots = []
    for number, author in enumerate(authors):  # newer first: the last two are on page 2
        roots.append(
            await remote_post(app, clock, author, OPENING, at=start + timedelta(seconds=number))
        )

    async with app.state.sessions() as session:
        first = await ranked_timeline.page(session, reader, clock.now(), WEIGHTS)
    assert len(first.items) == ranked_timeline.PAGE and first.next_offset == ranked_timeline.PAGE
    shown = [i.view.post.id for i in first.items]
    # Replies lift the two threads not yet shown above everything on page 1.
    bottom = [r for r in roots if r not in shown]
    assert len(bottom) == 2
    for root in bottom:
        for replier in repliers:
            await remote_post(app, clock, replier, TURN, reply_to=root)
    fresh = order_of(await ranked(app, reader, clock.now()))
    assert set(fresh[:2]) == set(bottom)  # a fresh look would order them differently

    async with app.state.sessions() as session:
        second = await ranked_timeline.page(
            session,
            reader,
            clock.now(),
            WEIGHTS,
            snapshot_id=first.snapshot_id,
            offset=first.next_offset,
        )
        by_last = await ranked_timeline.page(
            session, reader, clock.now(), WEIGHTS, after_post_id=shown[-1]
        )
    for rest in (second, by_last):
        ids = shown + [i.view.post.id for i in rest.items]
        assert len(ids) == len(set(ids)) == len(roots)
        assert set(ids) == set(roots)
        assert rest.next_offset is None


# --- Threads with a missing first post ------------------------------------------------


async def test_threads_with_a_deleted_or_missing_first_post_still_rank(
    app, clock, people, dan
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await reader_follows(dan, "ana", "ben", "cleo")
    reader = await actor_id(app, "dan")
    local_root = await ana.post(OPENING)
    await publish_due(app, clock, 31)
    ben_reply = await ben.post(TURN, reply_to=local_root)
    await publish_due(app, clock, 3 * MINUTE)
    await cleo.post(TURN, reply_to=local_root)
    await publish_due(app, clock, 3 * MINUTE)
    response = await ana.client.post(
        f"/posts/{local_root}/delete", data={"csrf_token": await ana.token()}
    )
    assert response.status_code == 303, response.text

    author, x, y, orphan_author = await remote_accounts(
        app, clock, 4, ["a.example", "x.example", "y.example", "o.example"], prefix="p"
    )
    for someone in (author, orphan_author):
        await follow(app, clock, reader, someone)
    remote_root = await remote_post(app, clock, author, OPENING)
    x_reply = await remote_post(app, clock, x, TURN, reply_to=remote_root)
    await remote_post(app, clock, y, TURN, reply_to=remote_root)
    async with app.state.sessions() as session:
        post = await session.get(Post, remote_root)
        assert post is not None
        await remote_posts.remove(session, post, clock.now())
    # A reply whose parent was never seen here leads a thread of its own.
    orphan = await remote_post(
        app, clock, orphan_author, TURN, reply_to_uri="https://elsewhere.example/notes/gone"
    )
    await remote_post(app, clock, x, TURN, reply_to=orphan)

    async with app.state.sessions() as session:
        found = await ranked_timeline.page(session, reader, clock.now(), WEIGHTS)
    shown = [i.view.post.id for i in found.items]
    assert local_root not in shown and remote_root not in shown
    assert ben_reply in shown  # the first reply leads Ana's thread now
    assert x_reply in shown
    assert orphan in shown
    for item in found.items:
        assert explanations.reasons(item, reader)
        assert explanations.lines(item, reader)

    # The missing parent arrives: the orphan and its reply join its thread.
    (elsewhere,) = await remote_accounts(app, clock, 1, ["elsewhere.example"], prefix="e")
    parent = await remote_post(
        app,
        clock,
        elsewhere,
        OPENING,
        at=clock.now() - timedelta(minutes=30),
        uri="https://elsewhere.example/notes/gone",
    )
    assert (await signals_of(app, parent)).replies == 2
    shown = order_of(await ranked(app, reader, clock.now()))
    assert parent in shown and orphan not in shown


async def rootless_thread(app, clock, people, dan) -> tuple[int, int, list[int]]:
    """Ana's post draws replies from Ben and Cleo, Ana answers both, then deletes her
    post. The reader follows Ana only. Returns (reader, Ben's reply, the other replies)."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await reader_follows(dan, "ana")
    reader = await actor_id(app, "dan")
    root = await ana.post(OPENING)
    await publish_due(app, clock, 31)
    b = await ben.post(TURN, reply_to=root)
    await publish_due(app, clock, 3 * MINUTE)
    c = await cleo.post(TURN, reply_to=root)
    await publish_due(app, clock, 3 * MINUTE)
    answers = [await ana.post(TURN, reply_to=b), await ana.post(TURN, reply_to=c)]
    await publish_due(app, clock, 3 * MINUTE)
    response = await ana.client.post(
        f"/posts/{root}/delete", data={"csrf_token": await ana.token()}
    )
    assert response.status_code == 303, response.text
    return reader, b, [c, *answers]


async def test_a_rootless_threads_explanations_do_not_credit_the_replier_shown(
    app, clock, people, dan
) -> None:
    reader, ben_reply, _ = await rootless_thread(app, clock, people, dan)
    async with app.state.sessions() as session:
        found = await ranked_timeline.page(session, reader, clock.now(), WEIGHTS)
    (item,) = [i for i in found.items if i.view.post.id == ben_reply]
    said = wording(item, reader)
    assert "You follow ben" not in said  # the reader does not follow Ben
    assert not any(text.startswith("ben answered") for text in said)  # Ana did


async def test_deleting_the_reply_that_leads_a_rootless_thread_hands_the_lead_on(
    app, clock, people, dan
) -> None:
    reader, ben_reply, others = await rootless_thread(app, clock, people, dan)
    ben = people["ben"]
    response = await ben.client.post(
        f"/posts/{ben_reply}/delete", data={"csrf_token": await ben.token()}
    )
    assert response.status_code == 303, response.text

    shown = order_of(await ranked(app, reader, clock.now()))
    assert any(i in shown for i in others)


# --- Weights are norms ------------------------------------------------------------------


async def test_weights_out_of_range_are_refused_and_a_valid_change_takes_effect(app, clock) -> None:
    settings = app.state.settings
    async with app.state.sessions() as session:
        with pytest.raises(Invalid) as refused:
            await norms.change(
                session,
                settings,
                "ranking.half_life_hours",
                "200",
                reason="try",
                actor_id=None,
                now=clock.now(),
            )
        assert "between 6 and 72" in refused.value.message
        kept = ranking.weights(await norms.current(session, settings))
        assert kept.half_life_hours == WEIGHTS.half_life_hours

        await norms.change(
            session,
            settings,
            "ranking.half_life_hours",
            "12",
            reason="read twice a day",
            actor_id=None,
            now=clock.now(),
        )
        changed = ranking.weights(await norms.current(session, settings))
    assert changed.half_life_hours == 12


# --- Summing a thread (pure) ------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AUTHOR, BEA, CAL, DEE = 1, 2, 3, 4


def fact(
    actor: int,
    to: int | None,
    minutes: float,
    *,
    length: int = 60,
    domain: str | None = None,
    visibility: str = "public",
    known_since: datetime = T0 - LONG_KNOWN,
    followed_here: bool = False,
    tied: bool = False,
) -> Fact:
    return Fact(
        actor_id=actor,
        parent_actor_id=to,
        domain=domain,
        at=T0 + timedelta(minutes=minutes),
        length=length,
        visibility=visibility,
        known_since=known_since,
        followed_here=followed_here,
        tied=tied,
    )


def sums(facts: Sequence[Fact]) -> thread_sums.Sums:
    return summarise(facts, AUTHOR, T0, Thresholds())


def test_turns_alternate_and_fast_ones_are_told_apart() -> None:
    slow = sums([fact(BEA, AUTHOR, 1), fact(AUTHOR, BEA, 5), fact(BEA, AUTHOR, 10)])
    fast = sums([fact(BEA, AUTHOR, 1), fact(AUTHOR, BEA, 1.5), fact(BEA, AUTHOR, 2)])
    twice = sums([fact(BEA, AUTHOR, 1), fact(BEA, AUTHOR, 5), fact(AUTHOR, BEA, 10)])
    one_way = sums([fact(BEA, AUTHOR, 1), fact(CAL, AUTHOR, 5)])
    assert slow.pairs == [[AUTHOR, BEA, 3, 0]]  # three turns, none fast
    assert fast.pairs == [[AUTHOR, BEA, 3, 2]]  # three turns, the last two fast
    assert twice.pairs == [[AUTHOR, BEA, 2, 0]]  # saying it twice is not another turn
    assert one_way.pairs == []  # nobody answered back


def test_a_quick_fire_exchange_counts_less_than_a_slow_one_even_past_the_cap() -> None:
    def exchange(minutes_apart: float, turns: int) -> float:
        facts = [
            fact(BEA if n % 2 == 0 else CAL, CAL if n % 2 == 0 else BEA, n * minutes_apart)
            for n in range(turns)
        ]
        signals = ranking.Signals(
            item_id=1,
            author_id=AUTHOR,
            started_at=T0,
            author_recent_posts=10,
            author_answered=0,
            median_length=0,
            pileon=False,
            dominated=False,
            likes=0,
            boosts=0,
            people={},
            quiet_people=[],
            pairs=sums(facts).pairs,
        )
        nobody = ranking.Relations(99, frozenset(), frozenset(), frozenset())
        return ranking.score(signals, nobody, T0, WEIGHTS).terms["exchange"]

    assert exchange(0.5, 30) < exchange(30, 6)  # 30 fast turns weigh less than 6 slow
    assert exchange(30, 6) == exchange(30, 20)  # past the cap, more turns add nothing


def test_author_answered_counts_distinct_people_answered() -> None:
    found = sums(
        [
            fact(BEA, AUTHOR, 1),
            fact(CAL, AUTHOR, 2),
            fact(AUTHOR, BEA, 3),
            fact(AUTHOR, BEA, 4),
            fact(AUTHOR, CAL, 5),
            fact(AUTHOR, AUTHOR, 6),  # a follow-up to their own post
        ]
    )
    assert found.author_answered == 2
    assert str(AUTHOR) not in found.people
    assert sums([fact(BEA, AUTHOR, 1)]).author_answered == 0


def test_each_server_counts_three_repliers_whole() -> None:
    brigade = [fact(10 + n, AUTHOR, n, domain="one.example") for n in range(6)]
    spread = [fact(20 + n, AUTHOR, n, domain=f"s{n}.example") for n in range(6)]
    capped, whole = sums(brigade), sums(spread)
    assert capped.voices < whole.voices == 6
    assert [capped.people[str(10 + n)] for n in range(3)] == [1.0, 1.0, 1.0]
    assert all(capped.people[str(10 + n)] < 1 for n in range(3, 6))
    members = sums([fact(30 + n, AUTHOR, n) for n in range(6)])  # no domain: members here
    assert members.voices == 6
    # Spread over hours (one every 20 minutes), so no pile-on: only the cap is at work.
    thirty = sums([fact(100 + n, AUTHOR, 20 * n, domain="one.example") for n in range(30)])
    assert not thirty.pileon
    assert thirty.voices == 3 + 27 * 0.25 < 30  # 30 from one server weigh 9.75


def test_in_a_pile_on_strangers_count_as_a_crowd_not_as_voices() -> None:
    crowd = [fact(100 + n, AUTHOR, n, domain=f"s{n}.example") for n in range(40)]
    friends = [fact(300 + n, AUTHOR, n, tied=True) for n in range(2)]
    found = sums(crowd + friends)
    assert found.pileon
    assert found.people[str(300)] == 1.0  # people tied to the author still count whole
    assert found.voices == 40 * 0.25 + 2


def test_a_fast_crowd_of_strangers_is_a_pile_on() -> None:
    crowd = [fact(10 + n, AUTHOR, n) for n in range(12)]
    assert sums(crowd).pileon
    friends = [fact(10 + n, AUTHOR, n, tied=True) for n in range(12)]
    assert not sums(friends).pileon
    slow = [fact(10 + n, AUTHOR, 60 * 24 * n) for n in range(12)]
    assert not sums(slow).pileon
    assert not sums(crowd[:9]).pileon  # too few to be a crowd


def test_two_others_talking_over_a_thread_dominate_it_but_the_author_does_not() -> None:
    two = [fact((BEA, CAL)[n % 2], (CAL, BEA)[n % 2], 5 * n) for n in range(10)]
    two += [fact(DEE, AUTHOR, 100)]
    assert sums(two).dominated
    with_author = [fact((BEA, AUTHOR)[n % 2], (AUTHOR, BEA)[n % 2], 5 * n) for n in range(10)]
    assert not sums(with_author).dominated
    assert not sums(two[:8]).dominated  # too short to be dominated


def test_the_20_character_rule_leaves_out_mentions_links_and_emoji() -> None:
    assert (
        substance_length("@ben@remote.example https://example.com/a/long/link 🎉🎉 :blobcat: ok")
        < 20
    )
    assert substance_length("@ben this is a real sentence with words. 🎉") >= 20
    assert substance_length("www.example.org 👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽") == 0
    short, long = sums([fact(BEA, AUTHOR, 1, length=19)]), sums([fact(BEA, AUTHOR, 1, length=20)])
    assert short.voices == 0 and long.voices == 1
    assert short.replies == long.replies == 1


def test_only_trusted_open_replies_count() -> None:
    new = T0  # first seen as the thread started
    assert sums([fact(BEA, AUTHOR, 1, known_since=new)]).voices == 0
    assert sums([fact(BEA, AUTHOR, 1, known_since=new, followed_here=True)]).voices == 1
    private = sums(
        [fact(BEA, AUTHOR, 1, visibility="followers"), fact(CAL, AUTHOR, 2, visibility="direct")]
    )
    assert private.voices == 0
    assert private.quiet_people == [BEA]  # for readers who follow Bea; never Cal's DM
