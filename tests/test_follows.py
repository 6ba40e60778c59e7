"""Following local members: home timelines, counts, notifications."""

from __future__ import annotations

from tests.conftest import publish_due


async def test_following_brings_posts_home_and_unfollowing_takes_them_away(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.post("Ana's garden is blooming")
    await publish_due(app, clock, 30)
    assert "garden is blooming" not in (await ben.client.get("/")).text
    await ben.follow("ana")
    assert "garden is blooming" in (await ben.client.get("/")).text
    profile = await ben.client.get("/@ana")
    assert "<strong>1</strong> follower<" in profile.text
    assert ">Unfollow<" in profile.text
    token = await ben.token("/@ana")
    response = await ben.client.post("/@ana/unfollow", data={"csrf_token": token})
    assert response.status_code == 303
    assert "garden is blooming" not in (await ben.client.get("/")).text
    assert "<strong>0</strong> followers" in (await ben.client.get("/@ana")).text


async def test_a_new_follower_is_a_notification(app, people) -> None:
    await people["ben"].follow("ana")
    await people["ben"].follow("ana")  # following twice changes nothing
    page = await people["ana"].client.get("/notifications")
    assert page.text.count("followed you") == 1
    followers = await people["cleo"].client.get("/@ana/followers")
    assert 'href="/@ben"' in followers.text


async def test_nobody_can_follow_themselves(app, people) -> None:
    ana = people["ana"]
    token = await ana.token("/@ben")
    response = await ana.client.post("/@ana/follow", data={"csrf_token": token})
    assert response.status_code == 422
    assert "cannot follow yourself" in response.text
