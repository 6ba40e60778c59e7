"""Kept statuses and accounts: what one request renders, the next reuses by post and
version, with counts and the viewer's own marks laid over it, and never shown to someone
the read path does not let see the post."""

from __future__ import annotations

from dataclasses import replace

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, MemberState, Post
from server.services import accounts, remote_posts
from tests.conftest import Person, publish_due
from tests.test_exactly_once import bearer
from tests.test_remote_posts import note


def kept(app: Starlette, name: str) -> int:
    """How many entries the app's cache called `name` holds."""
    return len(app.state.render_caches[name])


async def shown(client: httpx.AsyncClient, post_id: int) -> dict:  # type: ignore[type-arg]
    answer = await client.get(f"/api/v1/statuses/{post_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_kept_status_is_byte_for_byte_the_one_rendered_from_scratch(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben reads his home twice: the second page comes from kept entities, and is the
    same bytes as the first, rendered from the rows."""
    await people["ben"].follow("ana")
    first = await people["ana"].post("Tomatoes are in #garden @ben")
    await publish_due(app, clock, 31)
    await people["ana"].post("And beans", reply_to=first)
    # Cleo's post, which Ben boosts, is not in his home otherwise: the boost shows.
    other = await people["cleo"].post("Courgettes, endless courgettes")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben:
        await ben.post(f"/api/v1/statuses/{other}/reblog")
        app.state.render_caches.clear()  # nothing kept: this page is rendered from the rows
        fresh = await ben.get("/api/v1/timelines/home")
        statuses = app.state.render_caches["statuses"]
        hits = statuses.hits
        again = await ben.get("/api/v1/timelines/home")
    assert statuses.hits > hits  # the second page was served from the cache
    assert again.content == fresh.content
    assert [s["reblog"] is not None for s in fresh.json()] == [True, False, False]


async def test_an_edit_shows_on_the_next_read(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana fixes a typo after Ben has read her post."""
    post_id = await people["ana"].post("See you at the libary")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "ana", clock) as ana:
        assert "libary" in (await shown(ben, post_id))["content"]
        edited = await ana.put(f"/api/v1/statuses/{post_id}", data={"status": "At the library"})
        assert edited.status_code == 200, edited.text
        after = await shown(ben, post_id)
    assert "At the library" in after["content"] and after["edited_at"]


async def test_a_like_shows_for_the_liker_only_and_counts_for_everyone(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben likes Ana's post; Cleo reads it from the same kept entity."""
    post_id = await people["ana"].post("Fresh bread on the porch")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "cleo", clock) as cleo:
        await shown(cleo, post_id)  # kept now, before the like
        await ben.post(f"/api/v1/statuses/{post_id}/favourite")
        for_ben, for_cleo = await shown(ben, post_id), await shown(cleo, post_id)
        await ben.post(f"/api/v1/statuses/{post_id}/unfavourite")
        after = await shown(ben, post_id)
    assert (for_ben["favourited"], for_ben["favourites_count"]) == (True, 1)
    assert (for_cleo["favourited"], for_cleo["favourites_count"]) == (False, 1)
    assert (after["favourited"], after["favourites_count"]) == (False, 0)


async def test_a_kept_followers_only_post_never_reaches_someone_who_may_not_see_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben follows Ana and reads her followers-only post (so it is kept); Cleo does not
    follow her and cannot read it; when Ben unfollows, neither can he."""
    await people["ben"].follow("ana")
    post_id = await people["ana"].post("Only for friends", visibility="followers")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "cleo", clock) as cleo:
        await shown(ben, post_id)
        assert kept(app, "statuses") >= 1
        assert (await cleo.get(f"/api/v1/statuses/{post_id}")).status_code == 404
        async with app.state.sessions() as session:
            ana_id = (await accounts.local_actor(session, "ana")).id
        statuses = (await cleo.get(f"/api/v1/accounts/{ana_id}/statuses")).json()
        assert post_id not in [int(s["id"]) for s in statuses]
        await ben.post(f"/api/v1/accounts/{ana_id}/unfollow")
        assert (await ben.get(f"/api/v1/statuses/{post_id}")).status_code == 404
        home = (await ben.get("/api/v1/timelines/home")).json()
    assert post_id not in [int(s["id"]) for s in home]


async def test_a_private_reply_is_not_counted_for_anyone(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Cleo answers Ana's public post for her followers only; the count Ben and a
    visitor see does not hint at it. A public reply from Ben counts for all."""
    post_id = await people["ana"].post("Which bus goes to the lake?")
    await publish_due(app, clock, 31)
    await people["cleo"].post(
        "The 12, but only at weekends", reply_to=post_id, visibility="followers"
    )
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben:
        assert (await shown(ben, post_id))["replies_count"] == 0
        await people["ben"].post("The 7 as well", reply_to=post_id)
        await publish_due(app, clock, 31)
        assert (await shown(ben, post_id))["replies_count"] == 1
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000"
    ) as visitor:
        assert (await shown(visitor, post_id))["replies_count"] == 1


async def test_a_profile_edit_shows_in_the_next_status(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana renames herself after Ben has read her post."""
    post_id = await people["ana"].post("Hello from the hills")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "ana", clock) as ana:
        assert (await shown(ben, post_id))["account"]["display_name"] == ""
        changed = await ana.patch(
            "/api/v1/accounts/update_credentials", data={"display_name": "Ana of the Hills"}
        )
        assert changed.status_code == 200, changed.text
        after = await shown(ben, post_id)
    assert after["account"]["display_name"] == "Ana of the Hills"
    assert after["account"]["statuses_count"] == 1


async def test_after_a_delete_or_a_suspension_the_kept_post_shows_nowhere(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben has read two of Ana's posts; she deletes one, then an admin suspends her."""
    gone = await people["ana"].post("Oops, wrong account")
    stays = await people["ana"].post("Morning all")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben, await bearer(app, "ana", clock) as ana:
        await shown(ben, gone)
        await shown(ben, stays)
        assert (await ana.delete(f"/api/v1/statuses/{gone}")).status_code == 200
        assert (await ben.get(f"/api/v1/statuses/{gone}")).status_code == 404
        public = (await ben.get("/api/v1/timelines/public")).json()
        assert [int(s["id"]) for s in public] == [stays]
        async with app.state.sessions() as session:
            await accounts.set_state(session, "ana", MemberState.suspended, clock.now())
        assert (await ben.get(f"/api/v1/statuses/{stays}")).status_code == 404
        assert (await ben.get("/api/v1/timelines/public")).json() == []


async def test_an_edit_from_another_server_shows_on_the_next_read(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben reads Zoe's post from mastodon.test; her server then sends an edit."""
    async with app.state.sessions() as session:
        zoe = Actor(
            username="zoe",
            domain="mastodon.test",
            acct_key="zoe@mastodon.test",
            uri="https://mastodon.test/users/zoe",
        )
        session.add(zoe)
        await session.commit()
        post = await remote_posts.ingest(session, zoe, note(1, clock.now()), clock.now())
        post_id = post.id
    async with await bearer(app, "ben", clock) as ben:
        assert "Note 1" in (await shown(ben, post_id))["content"]
        clock.advance(60)
        async with app.state.sessions() as session:
            stored = await session.get(Post, post_id)
            assert stored is not None
            changed = replace(note(1, clock.now()), content_html="<p>Note one, fixed</p>")
            assert await remote_posts.edit(session, stored, changed, clock.now(), clock.now())
        assert "Note one, fixed" in (await shown(ben, post_id))["content"]


async def test_kept_direct_pending_and_muted_posts_reach_only_who_may_see_them(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana writes Ben a direct message and starts a post still in its pause; each is
    kept once read. Cleo never gets the message, nobody but Ana the pending post, and
    once Ben mutes Ana her posts leave his home."""
    await people["ben"].follow("ana")
    direct = await people["ana"].post("@ben the gate code is 4711", visibility="direct")
    await publish_due(app, clock, 31)
    pending = await people["ana"].post("Still thinking about this one")
    async with (
        await bearer(app, "ana", clock) as ana,
        await bearer(app, "ben", clock) as ben,
        await bearer(app, "cleo", clock) as cleo,
    ):
        assert "4711" in (await shown(ben, direct))["content"]
        assert (await cleo.get(f"/api/v1/statuses/{direct}")).status_code == 404
        assert (await shown(ana, pending))["content"]
        assert (await ben.get(f"/api/v1/statuses/{pending}")).status_code == 404
        assert pending not in [
            int(s["id"]) for s in (await ben.get("/api/v1/timelines/home")).json()
        ]
        ana_id = (await shown(ben, direct))["account"]["id"]
        assert (await ben.post(f"/api/v1/accounts/{ana_id}/mute")).status_code == 200
        home = (await ben.get("/api/v1/timelines/home")).json()
    assert [s for s in home if s["account"]["id"] == ana_id] == []
