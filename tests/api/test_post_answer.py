"""The answer to POST /api/v1/statuses is built from what composing holds, through the
same renderer as any status, and is the status a GET returns right after, field for
field: whatever the post carries (media, mentions, tags, a reply, a content warning)
and whatever its visibility."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.conftest import Person, publish_due
from tests.statements import statements
from tests.test_exactly_once import bearer
from tests.test_media_files import upload


async def posted_and_read(
    app: Starlette, api: httpx.AsyncClient, form: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(the POST's answer, a GET right after from the kept entities, a GET rendered from
    the rows with nothing kept)."""
    answer = await api.post("/api/v1/statuses", data=form)
    assert answer.status_code == 200, answer.text
    post_id = answer.json()["id"]
    kept = await api.get(f"/api/v1/statuses/{post_id}")
    app.state.render_caches.clear()
    fresh = await api.get(f"/api/v1/statuses/{post_id}")
    assert kept.status_code == fresh.status_code == 200
    return answer.json(), kept.json(), fresh.json()


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
async def test_the_answer_to_a_post_is_the_status_read_right_after(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visibility: str
) -> None:
    """Ana answers Ben's post from her app with a picture, a content warning, a mention
    of Cleo and two tags: what her app gets back is what it reads next."""
    parent = await people["ben"].post("Who has seen the comet?")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ana", clock) as ana:
        picture = await upload(ana, "The comet over the barn")
        answer, kept, fresh = await posted_and_read(
            app,
            ana,
            {
                "status": "@ben @cleo it was low in the east #comet #sky",
                "visibility": visibility,
                "in_reply_to_id": str(parent),
                "spoiler_text": "night sky",
                "media_ids[]": picture["id"],
                "language": "en",
            },
        )
    assert answer == kept == fresh
    assert answer["visibility"] == visibility
    assert answer["in_reply_to_id"] == str(parent)
    assert answer["in_reply_to_account_id"] is not None
    assert sorted(m["acct"] for m in answer["mentions"]) == ["ben", "cleo"]
    assert [t["name"] for t in answer["tags"]] == ["comet", "sky"]
    assert [m["id"] for m in answer["media_attachments"]] == [picture["id"]]
    assert answer["spoiler_text"] == "night sky" and answer["sensitive"] is True
    assert answer["account"]["statuses_count"] == fresh["account"]["statuses_count"]


async def test_a_plain_post_answers_with_what_a_read_shows(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana's first words from her app, no reply, media or mention."""
    async with await bearer(app, "ana", clock) as ana:
        answer, kept, fresh = await posted_and_read(app, ana, {"status": "Hello porch"})
    assert answer == kept == fresh
    assert answer["favourited"] is answer["reblogged"] is answer["bookmarked"] is False
    assert (answer["replies_count"], answer["favourites_count"], answer["reblogs_count"]) == (
        0,
        0,
        0,
    )


async def test_a_retried_post_answers_with_the_post_as_it_is_now(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana's app sends a post, bookmarks it, then sends the post again with the same
    Idempotency-Key: the second answer is the first post as it is now, bookmarked."""
    async with await bearer(app, "ana", clock) as ana:
        headers = {"Idempotency-Key": "comet-1"}
        first = await ana.post("/api/v1/statuses", data={"status": "Comet!"}, headers=headers)
        post_id = first.json()["id"]
        assert (await ana.post(f"/api/v1/statuses/{post_id}/bookmark")).status_code == 200
        again = await ana.post("/api/v1/statuses", data={"status": "Comet!"}, headers=headers)
        read = await ana.get(f"/api/v1/statuses/{post_id}")
    assert again.json()["id"] == post_id
    assert again.json() == read.json()
    assert again.json()["bookmarked"] is True


async def test_the_answer_reads_only_what_a_new_post_can_have(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """A new post has no likes, boosts, replies, bookmarks or poll yet: answering Ana's
    post reads its mentions, tags and media and her account's counts, and no more."""
    async with await bearer(app, "ana", clock) as ana:
        await ana.get("/api/v1/accounts/verify_credentials")  # the token's first use written
        with statements(app.state.engine) as seen:
            answer = await ana.post("/api/v1/statuses", data={"status": "Counting #stars"})
    assert answer.status_code == 200, answer.text
    never_read = ("post_counters", "bookmarks", "likes", "polls")
    assert [s for s in seen if s.startswith("SELECT") and any(t in s for t in never_read)] == []
    # The post's own row is not read back either: composing holds it.
    assert not [s for s in seen if s.startswith("SELECT") and "FROM posts JOIN actors" in s]


async def test_a_plain_post_reads_no_mentions_tags_or_media(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana's plain words name nobody and no tag, answer nobody and carry no picture:
    answering her reads none of those tables, and still says what a read says."""
    async with await bearer(app, "ana", clock) as ana:
        await ana.get("/api/v1/accounts/verify_credentials")  # the token's first use written
        with statements(app.state.engine) as seen:
            answer = await ana.post("/api/v1/statuses", data={"status": "A quiet evening"})
        read = await ana.get(f"/api/v1/statuses/{answer.json()['id']}")
        app.state.render_caches.clear()
        fresh = await ana.get(f"/api/v1/statuses/{answer.json()['id']}")
    assert answer.status_code == 200, answer.text
    details = ("FROM mentions", "FROM post_tags", "FROM attachments")
    assert [s for s in seen if s.startswith("SELECT") and any(t in s for t in details)] == []
    assert answer.json() == read.json() == fresh.json()
    assert answer.json()["mentions"] == answer.json()["tags"] == []


@pytest.mark.parametrize("text", ["Tea with @ben", "Tea #evening", "Tea with @zed@far.example"])
async def test_a_post_that_may_name_someone_reads_what_it_names(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], text: str
) -> None:
    """Ana's words that name a person or a tag (known or not) are answered from the rows,
    so the answer holds exactly what a read right after holds."""
    async with await bearer(app, "ana", clock) as ana:
        answer, kept, fresh = await posted_and_read(app, ana, {"status": text})
    assert answer == kept == fresh
