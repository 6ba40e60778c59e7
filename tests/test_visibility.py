"""Followers-only and direct posts reach only the people they are meant for."""

from __future__ import annotations

from tests.conftest import publish_due


async def test_followers_only_posts_reach_followers_alone(app, clock, people, visitor) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    post_id = await ana.post("Just for my followers", visibility="followers")
    await publish_due(app, clock, 30)
    assert "Just for my followers" in (await ben.client.get("/")).text
    assert (await ben.client.get(f"/@ana/{post_id}")).status_code == 200
    for client in (cleo.client, visitor):
        assert (await client.get(f"/@ana/{post_id}")).status_code == 404
        for page in ("/", "/local", "/@ana", "/@ana?with_replies=1"):
            assert "Just for my followers" not in (await client.get(page)).text, page


async def test_direct_posts_reach_only_the_people_mentioned(app, clock, people, visitor) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await cleo.follow("ana")
    # Ben follows Ana: her private mention is not unsolicited, so no filter holds it back.
    await ben.follow("ana")
    post_id = await ana.post("@ben are you free on Sunday?", visibility="direct")
    await publish_due(app, clock, 30)
    assert (await ben.client.get(f"/@ana/{post_id}")).status_code == 200
    assert "mentioned you" in (await ben.client.get("/notifications")).text
    for client in (cleo.client, visitor):
        assert (await client.get(f"/@ana/{post_id}")).status_code == 404
        for page in ("/", "/local", "/@ana"):
            assert "free on Sunday" not in (await client.get(page)).text, page


async def test_unlisted_posts_stay_off_the_local_timeline(app, clock, people, visitor) -> None:
    post_id = await people["ana"].post("Quietly here", visibility="unlisted")
    await publish_due(app, clock, 30)
    assert "Quietly here" not in (await visitor.get("/local")).text
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 200


async def test_a_reply_to_a_followers_only_post_keeps_it_hidden(
    app, clock, people, visitor
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    parent = await ana.post("Followers-only question", visibility="followers")
    await publish_due(app, clock, 30)
    reply = await ben.post("@ana public answer", reply_to=parent)
    await publish_due(app, clock, 20)
    thread = await visitor.get(f"/@ben/{reply}")
    assert thread.status_code == 200
    assert "Followers-only question" not in thread.text


async def test_html_in_posts_names_and_bios_is_shown_as_text(app, clock, people, visitor) -> None:
    ana = people["ana"]
    token = await ana.token("/settings/profile")
    response = await ana.client.post(
        "/settings/profile",
        data={
            "display_name": "<script>alert('name')</script>",
            "bio": "<img src=x onerror=alert('bio')>",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    post_id = await ana.post("<b>bold?</b> <script>alert('post')</script>", cw="<i>cw</i>")
    await publish_due(app, clock, 30)
    for page in (f"/@ana/{post_id}", "/@ana", "/local"):
        html = (await visitor.get(page)).text
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page
        assert "<b>bold?</b>" not in html, page
        assert "<i>cw</i>" not in html, page
    profile = (await visitor.get("/@ana")).text
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in profile
    assert "&lt;img src=x onerror=alert(&#39;bio&#39;)&gt;" in profile


async def test_mentions_hashtags_and_links_become_links(app, clock, people, visitor) -> None:
    post_id = await people["ana"].post("Hi @ben, see https://example.com/garden #Gardening")
    await publish_due(app, clock, 30)
    html = (await visitor.get(f"/@ana/{post_id}")).text
    assert 'href="http://localhost:8000/@ben" class="u-url mention"' in html
    # Web links open through /go, which notes that a member read them (see test_cards).
    go = f'href="/go?to=https%3A%2F%2Fexample.com%2Fgarden&amp;from={post_id}"'
    assert go + ' rel="nofollow noopener noreferrer"' in html
    assert 'href="http://localhost:8000/tags/gardening"' in html
    tag_page = await visitor.get("/tags/gardening")
    assert f"/@ana/{post_id}" in tag_page.text


async def test_a_reply_its_parent_author_cannot_see_does_not_notify_them(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    parent = await ana.post("Open question")
    await publish_due(app, clock, 30)
    await ben.post(
        "Only my followers will see this answer", reply_to=parent, visibility="followers"
    )
    await publish_due(app, clock, 20)
    assert "replied to your post" not in (await ana.client.get("/notifications")).text
    await ana.follow("ben")
    await ben.post("And this one Ana can read", reply_to=parent, visibility="followers")
    await publish_due(app, clock, 20)
    assert "replied to your post" in (await ana.client.get("/notifications")).text
