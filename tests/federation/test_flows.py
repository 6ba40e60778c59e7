"""Two Porch servers talking: Ana on porch-a.test and Ben on porch-b.test."""

from __future__ import annotations

import re

from sqlmodel import select

from server.models import Like, Post
from tests.federation.conftest import World


async def find_and_follow(world: World, who: str, handle: str, on: str = "porch-a.test") -> None:
    person = world.instances[on].people[who]
    found = await person.client.get("/search", params={"q": handle})
    assert found.status_code == 303, found.text
    profile = found.headers["location"]
    token = await person.token(profile)
    response = await person.client.post(profile + "/follow", data={"csrf_token": token})
    assert response.status_code == 303, response.text


async def post_ids_on(world: World, domain: str) -> list[str]:
    async with world.instances[domain].app.state.sessions() as session:
        rows = await session.exec(select(Post.uri).where(Post.uri.is_not(None)))  # type: ignore[union-attr]
        return [r for r in rows.all() if r]


async def test_a_follow_crosses_and_posts_arrive_only_after_the_pause(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    followers = await b.client().get(
        "/users/ben/followers", headers={"Accept": "application/activity+json"}
    )
    assert followers.json()["totalItems"] == 1

    post_id = await ben.post("Hello from B #porch")
    await world.settle(5)
    assert await post_ids_on(world, "porch-a.test") == []  # still in its pause
    await world.settle(30)
    uris = await post_ids_on(world, "porch-a.test")
    assert uris == [f"https://porch-b.test/users/ben/statuses/{post_id}"]
    home = await ana.client.get("/")
    assert "Hello from B" in home.text

    # Ana replies from A; the reply threads under Ben's post on B.
    local_copy = re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text)
    assert local_copy
    await ana.post("Hello back!", reply_to=int(local_copy.group(1)))
    await world.settle(25)
    thread = await ben.client.get(f"/@ben/{post_id}")
    assert "Hello back!" in thread.text
    notes = await ben.client.get("/notifications")
    assert "replied to your post" in notes.text


async def test_likes_and_boosts_reach_the_author(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    post_id = await ben.post("Worth sharing")
    await world.settle(31)
    home = await ana.client.get("/")
    local_id = int(re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text).group(1))  # type: ignore[union-attr]
    for action in ("like", "boost"):
        token = await ana.token("/")
        response = await ana.client.post(f"/posts/{local_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 303
    await world.settle()
    async with b.app.state.sessions() as session:
        likes = (await session.exec(select(Like).where(Like.post_id == post_id))).all()
        boosts = (await session.exec(select(Post).where(Post.reblog_of_id == post_id))).all()
    assert len(likes) == 1 and len(boosts) == 1
    notes = await ben.client.get("/notifications")
    assert "liked your post" in notes.text and "boosted your post" in notes.text


async def test_deletes_propagate_and_unfollow_stops_delivery(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    post_id = await ben.post("Soon gone")
    await world.settle(31)
    assert len(await post_ids_on(world, "porch-a.test")) == 1
    token = await ben.token(f"/@ben/{post_id}")
    await ben.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    await world.settle()
    assert await post_ids_on(world, "porch-a.test") == []

    token = await ana.token("/@ben@porch-b.test")
    await ana.client.post("/@ben@porch-b.test/unfollow", data={"csrf_token": token})
    await world.settle()
    await ben.post("Nobody over there hears this")
    await world.settle(31)
    assert await post_ids_on(world, "porch-a.test") == []


async def test_followers_only_and_direct_posts_reach_only_their_audience(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    await a.sign_up("ana")
    await a.sign_up("cleo")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    await ben.post("Followers only", visibility="followers")
    await world.settle(31)
    ana_view = await a.people["ana"].client.get("/")
    cleo_view = await a.people["cleo"].client.get("/@ben@porch-b.test")
    assert "Followers only" in ana_view.text
    assert "Followers only" not in cleo_view.text


async def test_a_locked_account_approves_a_remote_request(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    await a.sign_up("ana")
    ben = await b.sign_up("ben", locked=True)
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    waiting = await ben.client.get("/follow_requests")
    assert "@ana@porch-a.test" in waiting.text
    follower_id = re.search(r"/follow_requests/(\d+)/approve", waiting.text).group(1)  # type: ignore[union-attr]
    token = await ben.token("/follow_requests")
    response = await ben.client.post(
        f"/follow_requests/{follower_id}/approve", data={"csrf_token": token}
    )
    assert response.status_code == 303
    await world.settle()
    await ben.post("Now you can read me")
    await world.settle(31)
    assert len(await post_ids_on(world, "porch-a.test")) == 1


async def test_a_direct_message_reaches_only_the_person_mentioned(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    cleo = await a.sign_up("cleo")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "cleo", "@ben@porch-b.test")
    # Ana follows Ben: his private mention is not unsolicited, so no filter holds it back.
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    await ben.post("@ana@porch-a.test just between us", visibility="direct")
    await world.settle(31)
    notes = await ana.client.get("/notifications")
    assert "mentioned you" in notes.text and "just between us" in notes.text
    assert "just between us" not in (await cleo.client.get("/")).text
    assert "just between us" not in (await cleo.client.get("/@ben@porch-b.test")).text
    # Only Ana's server was sent it, and only once.
    sent = [body for url, body in world.net.posts if b"just between us" in body]
    assert len(sent) == 1


async def test_an_edit_after_publishing_reaches_followers_with_its_history(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    post_id = await ben.post("I think it is Tuesday")
    await world.settle(31)
    world.clock.advance(60)
    token = await ben.token(f"/posts/{post_id}/revise")
    response = await ben.client.post(
        f"/posts/{post_id}/revise",
        data={"text": "It is Wednesday, actually", "spoiler_text": "", "csrf_token": token},
    )
    assert response.status_code == 303, response.text
    await world.settle(1)
    home = await ana.client.get("/")
    assert "It is Wednesday, actually" in home.text and "edited" in home.text
    local_id = re.search(r'href="/@ben@porch-b.test/(\d+)"', home.text).group(1)  # type: ignore[union-attr]
    page = await ana.client.get(f"/@ben@porch-b.test/{local_id}")
    assert "Edited 1 time" in page.text and "I think it is Tuesday" in page.text
    async with a.app.state.sessions() as session:
        from server.models import PostEdit

        versions = (await session.exec(select(PostEdit))).all()
    assert [v.text for v in versions] == ["I think it is Tuesday"]


async def test_a_block_reaches_the_other_server_and_hides_posts_both_ways(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    await world.settle()
    await ben.post("Before the block")
    await world.settle(31)
    token = await ana.token("/@ben@porch-b.test")
    response = await ana.client.post("/@ben@porch-b.test/block", data={"csrf_token": token})
    assert response.status_code == 303
    await world.settle()
    assert "Before the block" not in (await ana.client.get("/")).text
    followers = await b.client().get(
        "/users/ben/followers", headers={"Accept": "application/activity+json"}
    )
    assert followers.json()["totalItems"] == 0  # Ben's server ended the follow too
    async with b.app.state.sessions() as session:
        from server.models import Block

        assert len((await session.exec(select(Block))).all()) == 1


async def test_a_pasted_post_url_opens_the_post_here_to_answer(world: World) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    post_id = await ben.post("Anyone read a good book lately?")
    await world.settle(31)
    found = await ana.client.get("/search", params={"q": f"https://porch-b.test/@ben/{post_id}"})
    assert found.status_code == 303, found.text
    local = await ana.client.get(found.headers["location"])
    assert "Anyone read a good book lately?" in local.text
    profile = await ana.client.get("/search", params={"q": "https://porch-b.test/users/ben"})
    assert profile.headers["location"] == "/@ben@porch-b.test"
    remote_follow = await ana.client.get(
        "/authorize_interaction", params={"uri": "acct:ben@porch-b.test"}
    )
    assert remote_follow.headers["location"] == "/search?q=ben%40porch-b.test"


async def test_intents_and_tone_indicators_cross_and_read_as_text_elsewhere(
    world: World,
) -> None:
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await a.sign_up("ana")
    ben = await b.sign_up("ben")
    await find_and_follow(world, "ana", "@ben@porch-b.test")
    # Mutuals: venting's rules ask others to wait for Ben's approval before replying.
    await find_and_follow(world, "ben", "@ana@porch-a.test", on="porch-b.test")
    await world.settle()
    token = await ben.token()
    posted = await ben.client.post(
        "/posts",
        data={
            "text": "My tomatoes wilted",
            "intent": "venting — no advice please",
            "csrf_token": token,
        },
    )
    post_id = int(posted.headers["location"].rsplit("/", 1)[1])
    await world.settle(31)
    note = await b.client().get(
        f"/users/ben/statuses/{post_id}", headers={"Accept": "application/activity+json"}
    )
    assert note.json()["porchIntent"] == "venting — no advice please"
    # Mastodon shows the intent as a line of text.
    assert note.json()["content"].startswith("<p>Looking for: venting — no advice please</p>")

    home = (await ana.client.get("/")).text
    assert "Looking for: <strong>venting — no advice please</strong>" in home
    assert home.count("venting — no advice please") == 1  # not twice, from the content too
    local_copy = re.search(r'href="/@ben@porch-b.test/(\d+)"', home)
    assert local_copy
    composer = (await ana.client.get(f"/compose?reply_to={local_copy.group(1)}")).text
    assert "is looking for: <strong>venting — no advice please</strong>" in composer

    token = await ana.token(f"/compose?reply_to={local_copy.group(1)}")
    await ana.client.post(
        "/posts",
        data={
            "text": "That sounds rough. Hugs.",
            "in_reply_to_id": local_copy.group(1),
            "tone_indicator": "supportive",
            "csrf_token": token,
        },
    )
    await world.settle(25)
    thread = (await ben.client.get(f"/@ben/{post_id}")).text
    assert "Meant as: supportive" in thread
    assert thread.count("supportive") == 1
