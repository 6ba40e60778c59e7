"""Apps see the pause: a member's posts waiting out their pause are Mastodon's scheduled
statuses, listed, shown and cancelled (back to drafts) through Mastodon.py."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError
from PIL import Image
from sqlmodel import select

from server.models import Draft, ScheduledPublish
from tests.api.conftest import Running
from tests.api.schemas import assert_shape


def drafts_of(server: Running) -> list[str]:
    async def read() -> list[str]:
        async with server.app.state.sessions() as session:
            return list((await session.exec(select(Draft.text))).all())

    return server.run(read())


def test_ana_sees_her_posts_in_their_pause_with_when_they_go_out(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    now = server.clock.now()
    picture = io.BytesIO()
    Image.new("RGB", (600, 400), (180, 120, 60)).save(picture, "JPEG")
    uploaded = ana.media_post(picture.getvalue(), mime_type="image/jpeg", description="Tea")
    first = ana.status_post("Tea on the porch at five?", media_ids=[uploaded["id"]])
    server.clock.advance(10)
    second = ana.status_post("Bring cups", visibility="private", spoiler_text="logistics")

    listed = ana.scheduled_statuses()
    assert [s["id"] for s in listed] == [second["id"], first["id"]]
    with server.api("ana") as api:
        raw = api.get("/api/v1/scheduled_statuses").json()
    for entity in raw:
        assert_shape("ScheduledStatus", entity)
    newest, oldest = raw
    assert newest["params"]["text"] == "Bring cups"
    assert newest["params"]["visibility"] == "private"
    assert newest["params"]["spoiler_text"] == "logistics"
    assert newest["params"]["quote_approval_policy"] == "nobody"  # followers-only: never
    assert oldest["params"]["media_ids"] == [str(uploaded["id"])]
    assert oldest["media_attachments"][0]["description"] == "Tea"
    # It goes out when its thirty-second pause ends.
    assert (listed[1]["scheduled_at"] - now).total_seconds() == pytest.approx(30, abs=1)
    assert ana.scheduled_status(first["id"])["params"]["text"] == "Tea on the porch at five?"

    assert server.publish_due(21) == 1  # thirty seconds after the first
    assert [s["id"] for s in ana.scheduled_statuses()] == [second["id"]]
    assert server.publish_due(10) == 1
    assert ana.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        ana.scheduled_status(first["id"])  # published: no longer scheduled


def test_cancelling_withdraws_the_post_to_her_drafts(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    posted = ana.status_post("Tea at fiev?")
    ana.scheduled_status_delete(posted["id"])

    assert ana.scheduled_statuses() == []
    assert drafts_of(server) == ["Tea at fiev?"]
    assert server.publish_due(60) == 0
    with pytest.raises(MastodonNotFoundError):
        ana.status(posted["id"])
    with pytest.raises(MastodonNotFoundError):
        ana.scheduled_status_delete(posted["id"])


def test_the_pause_is_the_communitys_so_it_cannot_be_moved(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    posted = ana.status_post("Tea at five?")
    later = server.clock.now() + timedelta(hours=2)
    with pytest.raises(MastodonAPIError) as refused:
        ana.scheduled_status_update(posted["id"], later)
    assert "422" in str(refused.value)
    assert "the pause before a post goes out is the same for everyone" in str(refused.value)
    # Nothing moved: it still goes out after its pause.
    assert server.publish_due(31) == 1


def test_nobody_else_sees_or_cancels_anas_pending_posts(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    posted = ana.status_post("A secret surprise party for Cleo")

    assert ben.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        ben.scheduled_status(posted["id"])
    with pytest.raises(MastodonNotFoundError):
        ben.scheduled_status_delete(posted["id"])
    with pytest.raises(MastodonNotFoundError):
        ben.scheduled_status_update(posted["id"], server.clock.now() + timedelta(hours=1))
    with server.api() as anyone:
        assert anyone.get("/api/v1/scheduled_statuses").status_code == 401
    assert [s["id"] for s in ana.scheduled_statuses()] == [posted["id"]]


def test_the_list_pages_like_mastodons(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    made = []
    for n in range(3):
        made.append(ana.status_post(f"Thought {n}")["id"])
        server.clock.advance(1)
    with server.api("ana") as api:
        page = api.get("/api/v1/scheduled_statuses", params={"limit": 2})
        older = api.get(page.links["next"]["url"]).json()
    assert [s["id"] for s in page.json()] == [str(made[2]), str(made[1])]
    assert [s["id"] for s in older] == [str(made[0])]
    assert [s["id"] for s in ana.fetch_next(ana.scheduled_statuses(limit=2))] == [made[0]]


def test_a_post_pending_for_another_reason_than_its_pause_is_not_scheduled(
    server: Running,
) -> None:
    """A post past its pause that still waits (for an author's approval, say) has no
    publish time: apps do not see it as scheduled."""
    server.member("ana")
    ana = server.mastodon("ana")
    posted = ana.status_post("Waiting for Ben's yes")

    async def unschedule() -> None:
        async with server.app.state.sessions() as session:
            row = (
                await session.exec(
                    select(ScheduledPublish).where(ScheduledPublish.post_id == int(posted["id"]))
                )
            ).one()
            await session.delete(row)
            await session.commit()

    server.run(unschedule())
    assert ana.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        ana.scheduled_status(posted["id"])
    with server.api("ana") as api:
        assert api.get("/api/v1/scheduled_statuses/not-an-id").status_code == 404
