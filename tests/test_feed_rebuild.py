"""Feeds kept by every change equal a rebuild from the posts, and give the pages the
computed timeline gives, after a long random story; the upgrade fills them the same."""

from __future__ import annotations

import random

import pytest
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.db import alembic_config
from server.services import (
    feeds,
)
from tests.conftest import Person, publish_due
from tests.feed_story import (
    STORY,
    Community,
    assert_feeds_match,
    five_members,  # noqa: F401  (the `five` fixture)
)


async def test_maintained_feeds_equal_a_rebuild_and_pages_equal_the_computed_timeline(
    app: Starlette, clock: FrozenClock, five: dict[str, Person]
) -> None:
    rng = random.Random(15)
    community = Community(app, clock, five)
    # Post ids carry random bits, so the story differs run to run: it goes on until it
    # has made every kind of change.
    for step in range(600):
        if step >= 200 and set(STORY) <= set(community.done):
            break
        await community.step(rng)
        # Rows right after the changes (a later rebuild of the member would hide a miss),
        # pages now and then.
        if step % 2:
            await assert_feeds_match(app, clock.now(), pages=step % 24 == 23)
    await publish_due(app, clock, 31)
    await assert_feeds_match(app, clock.now())
    assert set(STORY) <= set(community.done), set(STORY) - set(community.done)


async def test_past_the_bound_feeds_keep_the_newest_and_older_pages_are_computed(
    app: Starlette, clock: FrozenClock, five: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "SIZE", 5)
    monkeypatch.setattr(feeds, "TRIM_EVERY", 1)
    rng = random.Random(7)
    community = Community(app, clock, five)
    for step in range(120):
        await community.step(rng)
        if step % 20 == 19:
            await assert_feeds_match(app, clock.now(), exact=False)


async def test_the_upgrade_fills_feeds_as_a_rebuild_would(
    app: Starlette, clock: FrozenClock, five: dict[str, Person], database_url: str
) -> None:
    rng = random.Random(3)
    community = Community(app, clock, five)
    for _ in range(60):
        await community.step(rng)
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: _alembic(c, database_url, "0008", down=True))
        await connection.run_sync(lambda c: _alembic(c, database_url, "head", down=False))
    await engine.dispose()
    await assert_feeds_match(app, clock.now())


def _alembic(connection, url: str, target: str, *, down: bool) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, target)
