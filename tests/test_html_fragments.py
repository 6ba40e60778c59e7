"""Kept HTML parts of posts: the author line and the body are rendered once per post and
version; everything that is the viewer's own (buttons, CSRF tokens, liked and boosted)
and the counts are rendered around them for each request."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Member, MemberState
from server.services import accounts, blocks
from tests.conftest import Person, client_for, publish_due
from tests.test_exactly_once import bearer


async def home(person: Person) -> str:
    answer = await person.client.get("/")
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.fixture(autouse=True)
async def latest_first(app: Starlette, people: dict[str, Person]) -> None:
    """Everyone reads their home newest first (the timeline of post cards)."""
    async with app.state.sessions() as session:
        await session.exec(update(Member).values(home_order="latest"))
        await session.commit()


async def test_kept_parts_make_the_same_page_byte_for_byte(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben's home, with a content warning, a reply, a boost and a like on it, is the
    same bytes rendered from scratch, from kept parts, and with nothing kept at all."""
    await people["ben"].follow("ana")
    first = await people["ana"].post("Look at <this> & #that", cw="Food")
    await publish_due(app, clock, 31)
    await people["ana"].post("More soon https://example.com/x?a=1&b=2", reply_to=first)
    # Cleo's post comes to Ben's home only as his boost (a boost of a post the page
    # already shows would not be a second card).
    other = await people["cleo"].post("Courgettes, endless courgettes")
    await publish_due(app, clock, 31)
    async with await bearer(app, "ben", clock) as ben:
        await ben.post(f"/api/v1/statuses/{first}/favourite")
        await ben.post(f"/api/v1/statuses/{other}/reblog")
    app.state.render_caches.clear()
    fresh = await people["ben"].client.get("/")
    kept = app.state.render_caches["html"]
    assert len(kept) == 6  # the author line and body of the three posts
    hits = kept.hits
    again = await people["ben"].client.get("/")
    assert kept.hits - hits == 6  # three cards (one a boost), two parts each
    kept.size = 0  # nothing kept: every part rendered by its macro
    app.state.render_caches["html"]._items.clear()
    uncached = await people["ben"].client.get("/")
    assert fresh.content == again.content == uncached.content
    assert "Look at &lt;this&gt; &amp;" in fresh.text  # still escaped


async def test_an_edit_shows_on_the_next_page(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana fixes a typo after Ben's home showed her post."""
    await people["ben"].follow("ana")
    post_id = await people["ana"].post("Picnic on Satruday")
    await publish_due(app, clock, 31)
    assert "Satruday" in await home(people["ben"])
    async with await bearer(app, "ana", clock) as ana:
        edited = await ana.put(f"/api/v1/statuses/{post_id}", data={"status": "Picnic on Saturday"})
        assert edited.status_code == 200, edited.text
    page = await home(people["ben"])
    assert "Picnic on Saturday" in page and "Satruday" not in page


async def test_a_like_shows_on_the_likers_page_only(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben and Cleo both see Ana's post; Ben likes it."""
    await people["ben"].follow("ana")
    await people["cleo"].follow("ana")
    post_id = await people["ana"].post("New kittens next door")
    await publish_due(app, clock, 31)
    await home(people["cleo"])  # her page fills the kept parts first
    async with await bearer(app, "ben", clock) as ben:
        await ben.post(f"/api/v1/statuses/{post_id}/favourite")
    bens, cleos = await home(people["ben"]), await home(people["cleo"])
    assert f'action="/posts/{post_id}/unlike"' in bens
    assert f'action="/posts/{post_id}/like"' in cleos
    assert f'action="/posts/{post_id}/unlike"' not in cleos


async def test_a_kept_followers_only_post_never_reaches_another_page(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ben's home shows Ana's followers-only post (so its parts are kept); Cleo, who
    does not follow her, and a visitor never see it; nor does Ben once Ana blocks him."""
    await people["ben"].follow("ana")
    post_id = await people["ana"].post(
        "Friends only: the key is under the mat", visibility="followers"
    )
    await publish_due(app, clock, 31)
    assert "under the mat" in await home(people["ben"])
    assert (await people["cleo"].client.get(f"/@ana/{post_id}")).status_code == 404
    assert "under the mat" not in (await people["cleo"].client.get("/@ana")).text
    async with client_for(app) as visitor:
        assert "under the mat" not in (await visitor.get("/@ana")).text
    async with app.state.sessions() as session:
        ana = await accounts.local_actor(session, "ana")
        ben = await accounts.local_actor(session, "ben")
        await blocks.block(session, ana, ben, clock.now())
    assert "under the mat" not in await home(people["ben"])


async def test_after_a_delete_the_post_shows_on_no_page(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    await people["ben"].follow("ana")
    post_id = await people["ana"].post("Wrong window, sorry")
    await publish_due(app, clock, 31)
    assert "Wrong window" in await home(people["ben"])
    async with await bearer(app, "ana", clock) as ana:
        assert (await ana.delete(f"/api/v1/statuses/{post_id}")).status_code == 200
    assert "Wrong window" not in await home(people["ben"])
    assert (await people["ben"].client.get(f"/@ana/{post_id}")).status_code == 404


async def test_a_kept_pending_post_shows_only_to_its_author_and_suspension_hides_all(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Ana's post in its pause is on her home only; once published Ben sees it, and once
    an admin suspends Ana it leaves his page."""
    await people["ben"].follow("ana")
    await people["ana"].post("Draft-ish thoughts on compost")
    assert "compost" in await home(people["ana"])
    assert "compost" not in await home(people["ben"])
    await publish_due(app, clock, 31)
    assert "compost" in await home(people["ben"])
    async with app.state.sessions() as session:
        await accounts.set_state(session, "ana", MemberState.suspended, clock.now())
    assert "compost" not in await home(people["ben"])
