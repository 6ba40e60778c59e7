"""Twice at once is once: likes, boosts, bookmarks, reading markers, follows, list members,
mutes and blocks sent concurrently make one row each (and take-backs undo once), and no
request fails."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import col, select

from server.models import (
    Block,
    Bookmark,
    Follow,
    Like,
    ListMember,
    Marker,
    Mute,
    Notification,
    OutboxItem,
)
from server.services import accounts
from tests.conftest import publish_due
from tests.test_exactly_once import bearer


async def test_a_like_and_a_bookmark_sent_five_times_at_once_count_once(app, clock, people) -> None:
    """Ben's app retries his like and bookmark of Ana's post, all at the same moment."""
    post_id = await people["ana"].post("A good day for a walk")
    await publish_due(app, clock, 30)
    async with await bearer(app, "ben", clock) as ben:
        for action in ("favourite", "bookmark"):
            answers = await asyncio.gather(
                *(ben.post(f"/api/v1/statuses/{post_id}/{action}") for _ in range(5))
            )
            assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        liked = (await ben.get(f"/api/v1/statuses/{post_id}")).json()
    assert liked["favourited"] and liked["bookmarked"]
    async with app.state.sessions() as session:
        for model in (Like, Bookmark):
            count = (await session.exec(select(func.count()).select_from(model))).one()
            assert count == 1, model


async def test_reading_markers_saved_at_once_count_every_save(app, clock, people) -> None:
    """Ben's phone and tablet save his place in the home timeline at the same moment."""
    async with await bearer(app, "ben", clock) as ben:
        answers = await asyncio.gather(
            *(
                ben.post("/api/v1/markers", data={"home[last_read_id]": str(100 + n)})
                for n in range(5)
            )
        )
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    async with app.state.sessions() as session:
        marker = (await session.exec(select(Marker))).one()
    assert marker.version == 5  # each save counted: the first is version 1


async def test_a_follow_and_a_list_addition_sent_five_times_at_once_count_once(
    app, clock, people
) -> None:
    """Ben's app retries following Ana, then putting her on his list, all at once."""
    async with app.state.sessions() as session:
        ana_id = (await accounts.local_actor(session, "ana")).id
    async with await bearer(app, "ben", clock) as ben:
        answers = await asyncio.gather(
            *(ben.post(f"/api/v1/accounts/{ana_id}/follow") for _ in range(5))
        )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        listed = (await ben.post("/api/v1/lists", data={"title": "Neighbours"})).json()
        answers = await asyncio.gather(
            *(
                ben.post(f"/api/v1/lists/{listed['id']}/accounts", data={"account_ids[]": ana_id})
                for _ in range(5)
            )
        )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    async with app.state.sessions() as session:
        for model in (Follow, ListMember):
            count = (await session.exec(select(func.count()).select_from(model))).one()
            assert count == 1, model
        notices = await session.exec(
            select(func.count()).select_from(Notification).where(Notification.kind == "follow")
        )
        assert notices.one() == 1


async def test_a_mute_and_a_block_sent_five_times_at_once_count_once(app, clock, people) -> None:
    """Ben's app retries muting Cleo, and blocking Ana, all at the same moment."""
    async with app.state.sessions() as session:
        ana_id = (await accounts.local_actor(session, "ana")).id
        cleo_id = (await accounts.local_actor(session, "cleo")).id
    async with await bearer(app, "ben", clock) as ben:
        for path in (f"/api/v1/accounts/{cleo_id}/mute", f"/api/v1/accounts/{ana_id}/block"):
            answers = await asyncio.gather(*(ben.post(path) for _ in range(5)))
            assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    async with app.state.sessions() as session:
        for model in (Mute, Block):
            count = (await session.exec(select(func.count()).select_from(model))).one()
            assert count == 1, model


async def test_boosts_and_take_backs_sent_five_times_at_once_count_once(app, clock, people) -> None:
    """Ben's app retries boosting Ana's post, then taking back his like and his boost."""
    post_id = await people["ana"].post("Worth sharing")
    await publish_due(app, clock, 30)
    async with await bearer(app, "ben", clock) as ben:
        answers = await asyncio.gather(
            *(ben.post(f"/api/v1/statuses/{post_id}/reblog") for _ in range(5))
        )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert (await ben.post(f"/api/v1/statuses/{post_id}/favourite")).status_code == 200
        for action in ("unfavourite", "unreblog"):
            answers = await asyncio.gather(
                *(ben.post(f"/api/v1/statuses/{post_id}/{action}") for _ in range(5))
            )
            assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        shown = (await ben.get(f"/api/v1/statuses/{post_id}")).json()
    assert shown["reblogs_count"] == shown["favourites_count"] == 0
    async with app.state.sessions() as session:
        sent = (await session.exec(select(OutboxItem.kind).order_by(col(OutboxItem.id)))).all()
    assert sent == ["create", "announce", "like", "undo_like", "undo_announce"]


async def test_unfollows_and_unblocks_sent_five_times_at_once_all_answer(
    app, clock, people
) -> None:
    """Ben's app retries unfollowing Ana and unblocking Cleo, all at the same moment."""
    async with app.state.sessions() as session:
        ana_id = (await accounts.local_actor(session, "ana")).id
        cleo_id = (await accounts.local_actor(session, "cleo")).id
    async with await bearer(app, "ben", clock) as ben:
        assert (await ben.post(f"/api/v1/accounts/{ana_id}/follow")).status_code == 200
        assert (await ben.post(f"/api/v1/accounts/{cleo_id}/block")).status_code == 200
        for path in (f"/api/v1/accounts/{ana_id}/unfollow", f"/api/v1/accounts/{cleo_id}/unblock"):
            answers = await asyncio.gather(*(ben.post(path) for _ in range(5)))
            assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    async with app.state.sessions() as session:
        for model in (Follow, Block):
            count = (await session.exec(select(func.count()).select_from(model))).one()
            assert count == 0, model


async def test_a_follow_request_approved_five_times_at_once_is_approved_once(
    app, clock, people
) -> None:
    """Ana (locked) approves Ben's request from her phone and laptop at the same moment."""
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        await accounts.update_profile(session, ana, locked=True, now=clock.now())
        ben_id = (await accounts.local_actor(session, "ben")).id
    async with await bearer(app, "ben", clock) as ben:
        assert (await ben.post(f"/api/v1/accounts/{ana.id}/follow")).status_code == 200
    async with await bearer(app, "ana", clock) as api:
        answers = await asyncio.gather(
            *(api.post(f"/api/v1/follow_requests/{ben_id}/authorize") for _ in range(5))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [404] * 4, [a.text for a in answers]
    async with app.state.sessions() as session:
        notices = await session.exec(
            select(func.count()).select_from(Notification).where(Notification.kind == "follow")
        )
        assert notices.one() == 1
