"""Reading runs a small, fixed number of SQL statements a page, however much is on it:
the home timeline and the Conversations list through the client API, and the signed-in
web home.

Each test counts the statements one request sends (tests/statements.py) for a page of
posts with boosts, likes, bookmarks and a picture on it, and holds them to a ceiling. The
counts are behaviour (a page's counts, marks and flags read in one statement), not
timing; the figures each reader sees are checked too.
"""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.conftest import Person, client_for, publish_due
from tests.statements import statements
from tests.test_exactly_once import bearer
from tests.test_media_files import png

#: The counts reached; a page that grows past one has gained a statement.
#: Home: the feed's page (posts and authors), where the feed stops (a page that is not
#: full), the boosted posts, the page's figures (counts, the authors' counts, the
#: reader's marks, which posts have media or a poll), the media, the posts'
#: interaction policies with how the reader stands with their authors, and which posts
#: quote another (server/services/quotes.py; the quoted posts only when some do).
HOME = 8
#: The first time: the token looked up and its last use noted, and the mentions and
#: tags of the posts rendered for the first time.
FIRST_HOME = HOME + 4
#: Conversations, with the member's ranked order kept: the kept order, the page's
#: posts, then as for home.
CONVERSATIONS = 10  # one more for policies and one for quotes, as for home


async def a_full_porch(app: Starlette, clock: FrozenClock, people: dict[str, Person]) -> int:
    """Ben follows Ana and Cleo. Ana posts a question with a picture and a few thoughts;
    Cleo boosts one of them. Ben likes one and bookmarks one. The picture's post id."""
    await people["ben"].follow("ana")
    await people["ben"].follow("cleo")
    async with await bearer(app, "ana", clock) as ana:
        files = {"file": ("porch.png", png(), "image/png")}
        uploaded = await ana.post("/api/v2/media", files=files, data={"description": "Tea"})
        assert uploaded.status_code in (200, 202), uploaded.text
        asked = await ana.post(
            "/api/v1/statuses",
            data={"status": "Tea or coffee?", "media_ids[]": [uploaded.json()["id"]]},
        )
        assert asked.status_code == 200, asked.text
    thoughts = [await people["ana"].post(f"Porch thought {n}") for n in range(5)]
    await publish_due(app, clock, 31)
    async with await bearer(app, "cleo", clock) as cleo:
        assert (await cleo.post(f"/api/v1/statuses/{thoughts[0]}/reblog")).status_code == 200
    async with await bearer(app, "ben", clock) as ben:
        assert (await ben.post(f"/api/v1/statuses/{thoughts[1]}/favourite")).status_code == 200
        assert (await ben.post(f"/api/v1/statuses/{thoughts[2]}/bookmark")).status_code == 200
    return int(asked.json()["id"])


async def read(app: Starlette, client: httpx.AsyncClient, path: str) -> tuple[list[str], list]:  # type: ignore[type-arg]
    """The statements one GET of `path` ran, and its JSON."""
    with statements(app.state.engine) as seen:
        answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    return seen, answer.json()


async def test_a_home_page_with_boosts_likes_bookmarks_and_media_reads_in_few_statements(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben opens his home twice (the second time with every post's rendering kept): each
    page is read with the same few statements, and shows his own marks."""
    pictured = await a_full_porch(app, clock, people)
    async with await bearer(app, "ben", clock) as ben:
        first, _ = await read(app, ben, "/api/v1/timelines/home")
        again, page = await read(app, ben, "/api/v1/timelines/home")

    assert len(first) <= FIRST_HOME, first
    assert len(again) <= HOME, again
    by_text = {(s["reblog"] or s)["content"]: s for s in page if not s["reblog"]}
    assert len(page) == 7
    assert by_text["<p>Porch thought 0</p>"]["reblogs_count"] == 1
    assert by_text["<p>Porch thought 1</p>"]["favourited"] is True
    assert by_text["<p>Porch thought 1</p>"]["favourites_count"] == 1
    assert by_text["<p>Porch thought 2</p>"]["bookmarked"] is True
    with_media = [s for s in page if s["media_attachments"]]
    assert [s["id"] for s in with_media] == [str(pictured)]
    assert [m["description"] for m in with_media[0]["media_attachments"]] == ["Tea"]


async def test_a_post_on_a_page_twice_shows_its_figures_both_times(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben follows Ana and Cleo; Cleo boosts Ana's post, which Ben liked. His page shows
    Ana's post twice, as itself and inside Cleo's boost, the same both times."""
    await a_full_porch(app, clock, people)
    async with await bearer(app, "ben", clock) as ben:
        _, page = await read(app, ben, "/api/v1/timelines/home")
        liked = (await ben.get("/api/v1/favourites")).json()[0]["id"]
        async with await bearer(app, "cleo", clock) as cleo:
            assert (await cleo.post(f"/api/v1/statuses/{liked}/reblog")).status_code == 200
        _, page = await read(app, ben, "/api/v1/timelines/home")

    boosts = [s["reblog"] for s in page if s["reblog"]]
    for shown in boosts:
        [itself] = [s for s in page if s["id"] == shown["id"]]
        figures = ("reblogs_count", "favourites_count", "favourited", "bookmarked")
        assert {k: shown[k] for k in figures} == {k: itself[k] for k in figures}
    assert sorted(s["favourited"] for s in boosts) == [False, True]


async def test_the_marks_read_with_a_page_are_the_readers_own(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Cleo follows Ana too and reads the same posts right after Ben: the counts are the
    same for both, the likes and bookmarks are only Ben's."""
    await a_full_porch(app, clock, people)
    await people["cleo"].follow("ana")
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "cleo", clock) as cleo:
        _, for_ben = await read(app, ben, "/api/v1/timelines/home")
        _, for_cleo = await read(app, cleo, "/api/v1/timelines/home")

    def marks(page: list) -> dict[str, tuple[bool, bool, int]]:  # type: ignore[type-arg]
        return {
            s["content"]: (s["favourited"], s["bookmarked"], s["favourites_count"])
            for s in page
            if not s["reblog"]
        }

    assert marks(for_ben)["<p>Porch thought 1</p>"] == (True, False, 1)
    assert marks(for_ben)["<p>Porch thought 2</p>"] == (False, True, 0)
    assert marks(for_cleo)["<p>Porch thought 1</p>"] == (False, False, 1)
    assert marks(for_cleo)["<p>Porch thought 2</p>"] == (False, False, 0)
    assert not any(s["favourited"] or s["bookmarked"] for s in for_cleo)


async def test_a_conversations_page_reads_in_few_statements(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben opens Conversations, then opens it again while his ranked order is kept."""
    await a_full_porch(app, clock, people)
    async with await bearer(app, "ben", clock) as ben:
        await read(app, ben, "/api/v1/timelines/list/conversations")
        seen, page = await read(app, ben, "/api/v1/timelines/list/conversations")

    assert len(seen) <= CONVERSATIONS, seen
    assert not any("ranked_snapshots.items" in statement for statement in seen)  # kept
    assert {"<p>Porch thought 1</p>", "<p>Tea or coffee?</p>"} <= {s["content"] for s in page}


async def test_a_post_deleted_after_the_order_was_kept_is_gone_on_the_next_open(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben opens Conversations, then Ana deletes one of her posts on it: Ben's next open,
    from the order kept moments ago, no longer shows it."""
    await a_full_porch(app, clock, people)
    async with (
        await bearer(app, "ben", clock) as ben,
        await bearer(app, "ana", clock) as ana,
    ):
        _, before = await read(app, ben, "/api/v1/timelines/list/conversations")
        [gone] = [s["id"] for s in before if s["content"] == "<p>Porch thought 3</p>"]
        assert (await ana.delete(f"/api/v1/statuses/{gone}")).status_code == 200
        clock.advance(5)
        _, after = await read(app, ben, "/api/v1/timelines/list/conversations")

    assert gone not in {s["id"] for s in after}
    assert len(after) == len(before) - 1


async def test_a_profile_is_read_page_by_page_showing_each_reader_what_they_may_see(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana writes to everyone, to her followers, and answers Cleo. Ben follows her; Cleo
    does not. Each reads Ana's posts two at a time, with and without replies, and a
    visitor reads them too: every page shows only what its reader may see, in order,
    and the pages neither repeat nor skip."""
    await people["ben"].follow("ana")
    cleos = await people["cleo"].post("Anyone for tea?")
    await publish_due(app, clock, 31)
    written = []
    for text, visibility, reply_to in [
        ("Morning, porch", "public", None),
        ("For my followers", "followers", None),
        ("Yes please", "public", cleos),
        ("Evening, porch", "public", None),
    ]:
        written.append(await people["ana"].post(text, visibility=visibility, reply_to=reply_to))
        await publish_due(app, clock, 31)
    async with await bearer(app, "ana", clock) as ana:
        ana_id = (await ana.get("/api/v1/accounts/verify_credentials")).json()["id"]

    async def pages(client: httpx.AsyncClient, query: str) -> list[int]:
        shown: list[int] = []
        path = f"/api/v1/accounts/{ana_id}/statuses?limit=2{query}"
        while True:
            answer = await client.get(path)
            assert answer.status_code == 200, answer.text
            if not answer.json():
                return shown
            shown += [int(s["id"]) for s in answer.json()]
            path = f"/api/v1/accounts/{ana_id}/statuses?limit=2{query}&max_id={shown[-1]}"

    morning, followers_only, reply, evening = written
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "cleo", clock) as cleo:
        assert await pages(ben, "") == [evening, reply, followers_only, morning]
        assert await pages(ben, "&exclude_replies=true") == [evening, followers_only, morning]
        assert await pages(cleo, "") == [evening, reply, morning]
        newer = await cleo.get(f"/api/v1/accounts/{ana_id}/statuses?min_id={morning}&limit=1")
        assert [int(s["id"]) for s in newer.json()] == [reply]
    async with client_for(app) as visitor:
        assert await pages(visitor, "") == [evening, reply, morning]
