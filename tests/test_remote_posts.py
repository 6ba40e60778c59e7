"""Remote posts are stored once each, even when two get the same id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, Post, Visibility
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


async def test_posts_that_collide_on_an_id_are_both_kept(
    app: Starlette, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)  # whole seconds, as sent
    ids = iter([4242, 4242, 4343])  # the second post first gets the first one's id
    monkeypatch.setattr(remote_posts, "id_for_time", lambda moment: next(ids))
    async with app.state.sessions() as session:
        zoe = Actor(
            username="zoe",
            domain="mastodon.test",
            acct_key="zoe@mastodon.test",
            uri="https://mastodon.test/users/zoe",
        )
        session.add(zoe)
        await session.commit()
        zoe_id = zoe.id
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
