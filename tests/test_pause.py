"""The deliberate pause: a new post is the author's alone until its pause ends."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import select

from server.app import create_app
from server.models import Notification, Post, PostState, ScheduledPublish
from server.services import accounts, edits, norms, posting_rules, publishing
from server.services.errors import Conflict
from server.services.posts import Composition
from tests.conftest import client_for, csrf_from, publish_due


async def test_a_pending_post_is_seen_by_its_author_only(app, clock, people, visitor) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    post_id = await ana.post("A thought I am still weighing")

    own = await ana.client.get(f"/@ana/{post_id}")
    assert own.status_code == 200
    assert "A thought I am still weighing" in own.text
    assert "Only you can see this" in own.text
    assert 'data-publish-at="' in own.text

    assert (await ben.client.get(f"/@ana/{post_id}")).status_code == 404
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 404
    for page in ("/", "/local", "/@ana", "/notifications"):
        assert "still weighing" not in (await ben.client.get(page)).text, page
    for page in ("/", "/local", "/@ana"):
        assert "still weighing" not in (await visitor.get(page)).text, page


async def test_the_post_appears_for_everyone_when_the_pause_ends(
    app, clock, people, visitor
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    post_id = await ana.post("Good morning, street")
    assert await publish_due(app, clock, 29) == 0
    assert (await ben.client.get(f"/@ana/{post_id}")).status_code == 404
    assert await publish_due(app, clock, 1) == 1
    assert "Good morning, street" in (await ben.client.get("/")).text
    assert "Good morning, street" in (await visitor.get("/local")).text
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 200
    page = await ana.client.get(f"/@ana/{post_id}")
    assert "Only you can see this" not in page.text


async def test_replies_have_their_own_shorter_pause(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    parent = await ana.post("Anyone know a good baker?")
    await publish_due(app, clock, 30)
    reply = await ben.post("@ana The one on Elm Street!", reply_to=parent)
    assert await publish_due(app, clock, 19) == 0
    assert await publish_due(app, clock, 1) == 1
    thread = await ana.client.get(f"/@ana/{parent}")
    assert "The one on Elm Street!" in thread.text
    notes = await ana.client.get("/notifications")
    assert "replied to your post" in notes.text
    assert f"/@ben/{reply}" in notes.text


async def test_editing_during_the_pause_keeps_the_publish_time(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await ana.post("Draft wording")
    clock.advance(10)
    token = await csrf_from(ana.client, f"/posts/{post_id}/edit")
    response = await ana.client.post(
        f"/posts/{post_id}/edit",
        data={"text": "Kinder wording", "visibility": "public", "csrf_token": token},
    )
    assert response.status_code == 303
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.text == "Kinder wording"
        assert (post.publish_at - post.created_at).total_seconds() == 30
    assert await publish_due(app, clock, 19) == 0
    assert await publish_due(app, clock, 1) == 1
    page = await ben.client.get(f"/@ana/{post_id}")
    assert "Kinder wording" in page.text and "Draft wording" not in page.text


async def test_withdrawing_returns_the_text_as_a_draft(app, clock, people) -> None:
    ana = people["ana"]
    post_id = await ana.post("Maybe I should not say this", cw="grumbling")
    token = await csrf_from(ana.client, f"/@ana/{post_id}")
    response = await ana.client.post(f"/posts/{post_id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 303
    composer = await ana.client.get(response.headers["location"])
    assert "Maybe I should not say this" in composer.text
    assert 'value="grumbling"' in composer.text
    assert "Nobody saw it" in composer.text
    assert await publish_due(app, clock, 60) == 0
    assert (await ana.client.get(f"/@ana/{post_id}")).status_code == 404
    drafts = await ana.client.get("/drafts")
    assert "Maybe I should not say this" in drafts.text


async def test_a_revised_draft_goes_out_after_a_new_pause(app, clock, people) -> None:
    ana = people["ana"]
    post_id = await ana.post("First try")
    token = await csrf_from(ana.client, f"/@ana/{post_id}")
    location = (
        await ana.client.post(f"/posts/{post_id}/withdraw", data={"csrf_token": token})
    ).headers["location"]
    draft_id = location.split("draft=")[1]
    token = await csrf_from(ana.client, location)
    response = await ana.client.post(
        "/posts",
        data={
            "text": "Second try",
            "visibility": "public",
            "draft_id": draft_id,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    assert "First try" not in (await ana.client.get("/drafts")).text
    assert await publish_due(app, clock, 30) == 1


async def test_there_is_no_way_to_skip_the_pause(app, clock, people) -> None:
    ana = people["ana"]
    post_id = await ana.post("Patience")
    page = await ana.client.get(f"/@ana/{post_id}")
    assert "post now" not in page.text.lower()
    async with app.state.sessions() as session:
        assert await publishing.publish(session, post_id, clock.now()) is False


async def test_publishing_survives_a_restart(settings, clock, people, app) -> None:
    """Ana posts; the server stops during the pause and starts after it: the post goes out."""
    post_id = await people["ana"].post("Posted just before the restart")
    # Stop this app (its lifespan ends with the test), then start a fresh one on the
    # same database after the pause is over: startup publishes what is due.
    clock.advance(45)
    restarted = create_app(settings, clock=clock, apply_migrations=False, run_jobs=True)
    async with restarted.router.lifespan_context(restarted), client_for(restarted) as visitor:
        page = await visitor.get(f"/@ana/{post_id}")
        assert page.status_code == 200
        assert "Posted just before the restart" in page.text
    async with app.state.sessions() as session:
        rows = (await session.exec(select(ScheduledPublish))).all()
        assert rows == []


async def test_an_edit_that_loses_the_race_is_refused_and_kept(app, clock, people) -> None:
    ana = people["ana"]
    post_id = await ana.post("Original words")
    token = await csrf_from(ana.client, f"/posts/{post_id}/edit")
    await publish_due(app, clock, 30)  # the pause ends while Ana is still typing
    response = await ana.client.post(
        f"/posts/{post_id}/edit",
        data={"text": "Words I typed too late", "visibility": "public", "csrf_token": token},
    )
    assert response.status_code == 409
    assert "This post went out before your change" in response.text
    assert "Words I typed too late" in response.text  # nothing typed is lost
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.text == "Original words"
    # One click posts the words as a new post: the form now goes to a new post, and
    # carries a fresh form token so sending it twice posts once.
    assert 'action="/posts" class="compose"' in response.text
    assert ">Post as a new post</button>" in response.text
    assert 'name="form_token"' in response.text
    assert 'name="version"' not in response.text
    form_token = re.search(r'name="form_token" value="([^"]+)"', response.text)
    assert form_token
    fields = {
        "text": "Words I typed too late",
        "visibility": "public",
        "form_token": form_token.group(1),
        "csrf_token": token,
    }
    posted = await ana.client.post("/posts", data=fields)
    again = await ana.client.post("/posts", data=fields)
    assert posted.status_code == again.status_code == 303
    assert posted.headers["location"] == again.headers["location"]
    new_id = int(posted.headers["location"].rsplit("/", 1)[1])
    async with app.state.sessions() as session:
        new = await session.get(Post, new_id)
        assert new is not None and new.text == "Words I typed too late" and new_id != post_id


async def test_edits_racing_the_publish_land_before_it_or_are_refused(app, clock, people) -> None:
    """Run edit and publish concurrently many times: each edit lands or is refused."""
    ana = people["ana"]
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    rules = posting_rules.rules(found, app.state.settings.base_url)
    outcomes = set()
    for attempt in range(8):
        post_id = await ana.post(f"race {attempt}")
        clock.advance(30)
        async with app.state.sessions() as s1, app.state.sessions() as s2:
            author = await accounts.local_actor(s1, "ana")

            async def edit(author=author, s1=s1, post_id=post_id, attempt=attempt) -> str:
                try:
                    await edits.edit_pending(
                        s1,
                        app.state.remote_lookup,
                        author,
                        post_id,
                        Composition(f"edited {attempt}"),
                        rules,
                        clock.now(),
                    )
                    return "edited"
                except Conflict:
                    return "refused"

            outcome, published = await asyncio.gather(
                edit(), publishing.publish(s2, post_id, clock.now())
            )
        outcomes.add(outcome)
        assert published is True
        async with app.state.sessions() as session:
            post = await session.get(Post, post_id)
            assert post is not None and post.state == PostState.published
            expected = f"edited {attempt}" if outcome == "edited" else f"race {attempt}"
            assert post.text == expected


async def test_nothing_notifies_before_the_pause_ends(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.post("Thinking of you, @ben")
    async with app.state.sessions() as session:
        assert (
            await session.exec(select(Notification).where(Notification.kind == "mention"))
        ).all() == []
    await publish_due(app, clock, 30)
    assert "mentioned you" in (await ben.client.get("/notifications")).text


async def test_author_deletes_a_published_post(app, clock, people, visitor) -> None:
    ana = people["ana"]
    post_id = await ana.post("Here today")
    await publish_due(app, clock, 30)
    token = await csrf_from(ana.client, f"/@ana/{post_id}")
    response = await ana.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert (await visitor.get(f"/@ana/{post_id}")).status_code == 404
    assert "Here today" not in (await visitor.get("/local")).text
    other = await people["ben"].client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    assert other.status_code in (403, 404)
