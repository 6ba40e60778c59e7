"""Remote posts are stored once each, even when two get the same id, and replies that
found no parent join it whenever it is seen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, Post, PostCounter, Visibility
from server.services import remote_posts
from server.services.remote_posts import RemotePost


def note(number: int, published: datetime) -> RemotePost:
    return RemotePost(
        uri=f"https://mastodon.test/users/zoe/statuses/{number}",
        url=None,
        content_html=f"<p>Note {number}</p>",
        text=f"Note {number}",
        spoiler_text="",
        sensitive=False,
        visibility=Visibility.public,
        published_at=published,
        language=None,
        in_reply_to_id=None,
        in_reply_to_uri=None,
    )


async def zoe_here(app: Starlette) -> int:
    """Zoe of mastodon.test, as Porch stores a person elsewhere; her id."""
    async with app.state.sessions() as session:
        zoe = Actor(
            username="zoe",
            domain="mastodon.test",
            acct_key="zoe@mastodon.test",
            uri="https://mastodon.test/users/zoe",
        )
        session.add(zoe)
        await session.commit()
        assert zoe.id is not None
        return zoe.id


async def test_posts_that_collide_on_an_id_are_both_kept(
    app: Starlette, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)  # whole seconds, as sent
    ids = iter([4242, 4242, 4343])  # the second post first gets the first one's id
    monkeypatch.setattr(remote_posts, "id_for_time", lambda moment: next(ids))
    zoe_id = await zoe_here(app)
    stored = []
    for number in (1, 2, 1):  # each delivery in its own session, as in the inbox
        async with app.state.sessions() as session:
            author = await session.get(Actor, zoe_id)
            assert author is not None
            post = await remote_posts.ingest(session, author, note(number, published), clock.now())
            stored.append(post.id)
    async with app.state.sessions() as session:
        count = (await session.exec(select(func.count()).select_from(Post))).one()
    assert stored == [4242, 4343, 4242]
    assert count == 2


async def test_a_reply_that_found_no_parent_joins_it_when_the_parent_is_seen_again(
    app: Starlette, clock: FrozenClock
) -> None:
    """Zoe's note is stored; her reply to it is stored in the same moment by another
    writer that could not see the note yet, so it waits as a thread of its own. When the
    note arrives again (a redelivery, or the job fetching the reply's parent), the reply
    joins its thread and counts as its reply."""
    zoe_id = await zoe_here(app)
    published = clock.now()
    parent = note(1, published)
    reply = replace(note(2, published), in_reply_to_uri=parent.uri)
    async with app.state.sessions() as session:
        author = await session.get(Actor, zoe_id)
        assert author is not None
        first = await remote_posts.ingest(session, author, parent, clock.now())
        waiting = await remote_posts.ingest(session, author, reply, clock.now())
    assert waiting.in_reply_to_id is None and waiting.root_id == waiting.id

    async with app.state.sessions() as session:
        author = await session.get(Actor, zoe_id)
        assert author is not None
        again = await remote_posts.ingest(session, author, parent, clock.now())
    assert again.id == first.id
    async with app.state.sessions() as session:
        joined = await session.get(Post, waiting.id)
        counts = await session.get(PostCounter, first.id)
    assert joined is not None and joined.in_reply_to_id == first.id
    assert joined.root_id == first.root_id and joined.in_reply_to_uri is None
    assert counts is not None and counts.replies_count == 1
