"""Kept documents go stale by events: the next read after a change is fresh, and what a
signature decides (a blocked server, a follower) is never kept."""

from __future__ import annotations

import asyncio
import io

import httpx
from PIL import Image
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.services import accounts
from server.services.events import EventKind
from tests.conftest import (
    Person,
    client_for,
    csrf_from,
    publish_due,
    sign_up,
)
from tests.federation.conftest import World
from tests.federation.test_document_cache import AS2, HOST, ana_has_a_post, cache_of, store_of
from tests.federation.test_flows import find_and_follow
from tests.federation.test_policies import make_admin
from tests.test_admin import make_admin as make_local_admin
from tests.test_exactly_once import _edit_form
from tests.test_uploads import ana_app  # noqa: F401 (a fixture)

WEBFINGER = ("/.well-known/webfinger", {"resource": f"acct:ana@{HOST}"})


async def actor(client: httpx.AsyncClient, name: str = "ana") -> httpx.Response:
    return await client.get(f"/users/{name}", headers={"Accept": AS2})


async def webfinger(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(WEBFINGER[0], params=WEBFINGER[1])


async def save_profile(ana: Person, **form: str) -> None:
    token = await ana.token("/settings/profile")
    fields = {"display_name": "", "bio": "", **form, "csrf_token": token}
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 120, 200)).save(picture, "PNG")
    files = {"avatar": ("me.png", picture.getvalue(), "image/png")} if "avatar" in form else None
    fields.pop("avatar", None)
    response = await ana.client.post("/settings/profile", data=fields, files=files)
    assert response.status_code == 303, response.text


async def test_a_profile_change_shows_on_the_next_read(
    app: Starlette, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    """Ana changes her name, bio, lock, picture and fields; each next read shows it."""
    ana = people["ana"]
    assert (await actor(visitor)).json()["name"] == "ana"
    assert "avatar" not in (await webfinger(visitor)).text
    await save_profile(ana, display_name="Ana Lima", bio="Baker", locked="on")
    doc = (await actor(visitor)).json()
    assert doc["name"] == "Ana Lima" and "Baker" in doc["summary"]
    assert doc["manuallyApprovesFollowers"] is True
    await save_profile(ana, display_name="Ana Lima", avatar="yes")
    assert "icon" in (await actor(visitor)).json()
    links = (await webfinger(visitor)).json()["links"]
    assert any(link["rel"] == "http://webfinger.net/rel/avatar" for link in links)
    async with app.state.sessions() as session:
        found = await accounts.local_actor(session, "ana")
        await accounts.update_profile(
            session, found, fields=[("Shop", "Corner of 5th")], now=app.state.clock.now()
        )
    assert (await actor(visitor)).json()["attachment"][0]["name"] == "Shop"
    # Someone else's profile was dropped as well (events name ids, keys names): fresh too.
    assert (await actor(visitor, "ben")).json()["name"] == "ben"


async def test_suspension_takes_the_profile_and_posts_away_at_once(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    post_id = await ana_has_a_post(app, clock, people["ana"])
    note = f"/users/ana/statuses/{post_id}"
    for _ in range(2):
        assert (await actor(visitor)).status_code == 200
        assert (await webfinger(visitor)).status_code == 200
        assert (await visitor.get(note, headers={"Accept": AS2})).status_code == 200
    admin = await make_local_admin(app, clock)
    token = await csrf_from(admin, "/admin/members")
    suspended = await admin.post(
        "/admin/members/ana/suspend", data={"reason": "Spam", "csrf_token": token}
    )
    assert suspended.status_code == 303
    assert (await actor(visitor)).status_code == 404
    assert (await webfinger(visitor)).status_code == 404
    assert (await visitor.get(note, headers={"Accept": AS2})).status_code == 404
    reinstated = await admin.post("/admin/members/ana/reinstate", data={"csrf_token": token})
    assert reinstated.status_code == 303
    assert (await actor(visitor)).status_code == 200
    assert (await visitor.get(note, headers={"Accept": AS2})).status_code == 200
    await admin.aclose()


async def test_edits_and_deletions_show_on_the_next_read_of_the_post(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    ana = people["ana"]
    post_id = await ana_has_a_post(app, clock, ana)
    paths = [f"/users/ana/statuses/{post_id}", f"/users/ana/statuses/{post_id}/activity"]
    for path in paths:
        await visitor.get(path, headers={"Accept": AS2})
    form = await _edit_form(ana, f"/posts/{post_id}/revise")
    saved = await ana.client.post(
        f"/posts/{post_id}/revise", data={**form, "text": "Bread is sold out, sorry"}
    )
    assert saved.status_code == 303
    note = (await visitor.get(paths[0], headers={"Accept": AS2})).json()
    assert "sold out" in note["content"]
    create = (await visitor.get(paths[1], headers={"Accept": AS2})).json()
    assert "sold out" in create["object"]["content"]
    token = await ana.token(f"/@ana/{post_id}")
    deleted = await ana.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    gone = await visitor.get(paths[0], headers={"Accept": AS2})
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"


async def test_a_new_media_description_shows_on_the_next_read_of_the_post(
    app: Starlette,
    clock: FrozenClock,
    ana_app: httpx.AsyncClient,  # noqa: F811 (the fixture imported above)
    visitor: httpx.AsyncClient,
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 120, 40)).save(picture, "PNG")
    upload = await ana_app.post(
        "/api/v2/media",
        files={"file": ("bread.png", picture.getvalue(), "image/png")},
        data={"description": "A loaf"},
    )
    assert upload.status_code == 200, upload.text
    media_id = upload.json()["id"]
    status = await ana_app.post(
        "/api/v1/statuses", data={"status": "Fresh", "media_ids[]": media_id}
    )
    assert status.status_code == 200, status.text
    await publish_due(app, clock, 31)
    note = f"/users/ana/statuses/{status.json()['id']}"
    for _ in range(2):
        doc = (await visitor.get(note, headers={"Accept": AS2})).json()
        assert doc["attachment"][0]["name"] == "A loaf"
    described = await ana_app.put(f"/api/v1/media/{media_id}", data={"description": "Two loaves"})
    assert described.status_code == 200, described.text
    doc = (await visitor.get(note, headers={"Accept": AS2})).json()
    assert doc["attachment"][0]["name"] == "Two loaves"


async def test_nodeinfo_shows_norms_at_once_and_counts_within_a_minute(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    """Norms change NodeInfo at once; its usage counts are kept up to a minute, as
    Mastodon keeps them for a while (docs/design-notes.md)."""
    before = (await visitor.get("/nodeinfo/2.1")).json()
    assert before["metadata"]["norms"]["pausePostSeconds"] == 30
    users = before["usage"]["users"]["total"]
    admin = await make_local_admin(app, clock)
    token = await csrf_from(admin, "/admin/norms")
    changed = await admin.post(
        "/admin/norms",
        data={"name": "pause.post_seconds", "value": "60", "reason": "", "csrf_token": token},
    )
    assert changed.status_code == 303, changed.text
    after = (await visitor.get("/nodeinfo/2.1")).json()
    assert after["metadata"]["norms"]["pausePostSeconds"] == 60
    assert after["usage"]["users"]["total"] == users + 1  # the admin, read with the norms
    async with client_for(app) as dana_browser:
        await sign_up(dana_browser, "dana")
    assert (await visitor.get("/nodeinfo/2.1")).json()["usage"]["users"]["total"] == users + 1
    clock.advance(61)
    assert (await visitor.get("/nodeinfo/2.1")).json()["usage"]["users"]["total"] == users + 2
    await admin.aclose()


async def test_a_followers_only_post_is_never_kept_and_a_blocked_server_stays_refused(
    world_on: World,
) -> None:
    """Ana (porch-b.test) writes for her followers; Ben (porch-a.test) follows her. Ben's
    signed read gets the post, nobody else does, and nothing of it is kept. Then
    porch-b.test blocks porch-a.test: a public post read by anyone before is kept, and
    porch-a.test's signed read is still refused."""
    world = world_on
    a, b = world.instances["porch-a.test"], world.instances["porch-b.test"]
    ana = await b.sign_up("ana")
    await a.sign_up("ben")
    await find_and_follow(world, "ben", "@ana@porch-b.test")
    await world.settle()
    private_id = await ana.post("Only for my followers", visibility="followers")
    public_id = await ana.post("For everyone")
    await world.settle(31)
    private = f"{b.base}/users/ana/statuses/{private_id}"
    public = f"{b.base}/users/ana/statuses/{public_id}"
    fed_a = a.app.state.federation
    async with a.app.state.sessions() as session:
        ben = await accounts.local_actor(session, "ben")
    as_ben = await fed_a.auth_for(ben)
    async with httpx.AsyncClient(transport=world.net) as net:
        for _ in range(2):
            signed = await net.get(private, headers={"Accept": AS2}, auth=as_ben)
            assert signed.status_code == 200 and "followers" in signed.text
            assert (await net.get(private, headers={"Accept": AS2})).status_code == 404
        assert (await net.get(public, headers={"Accept": AS2})).status_code == 200
        kept = {key[0] for key in store_of(b.app)._entries if "/statuses/" in key[0]}
        assert kept == {f"/users/ana/statuses/{public_id}"}

        admin = await make_admin(world, "porch-b.test", "rosa")
        token = await csrf_from(admin, "/admin/domains")
        blocked = await admin.post(
            "/admin/domains",
            data={"domain": "porch-a.test", "policy": "block", "csrf_token": token},
        )
        assert blocked.status_code == 303
        assert (await net.get(public, headers={"Accept": AS2})).status_code == 200
        refused = await net.get(public, headers={"Accept": AS2}, auth=as_ben)
        assert refused.status_code == 403
        # Under authorized fetch strangers get the short actor form, kept for strangers
        # only: porch-a.test's signed read is still refused.
        b.app.state.settings = b.app.state.settings.model_copy(update={"authorized_fetch": True})
        actor_url = f"{b.base}/users/ana"
        for _ in range(2):
            short = (await net.get(actor_url, headers={"Accept": AS2})).json()
            assert "outbox" not in short
        signed_actor = await net.get(actor_url, headers={"Accept": AS2}, auth=as_ben)
        assert signed_actor.status_code == 403


async def test_a_profile_edit_on_one_process_shows_on_the_others_next_read(
    two_processes: tuple[Starlette, Starlette],
) -> None:
    one, two = two_processes
    async with client_for(one) as browser, client_for(two) as server_reading_two:
        ana = await sign_up(browser, "ana")
        for _ in range(2):
            assert (await actor(server_reading_two)).json()["name"] == "ana"
        assert len(store_of(two)) == 1
        await save_profile(ana, display_name="Ana Lima")
        # The event crosses Redis; the next read on `two` once it has arrived is fresh.
        await asyncio.wait_for(_heard_stale(two), 5)
        assert (await actor(server_reading_two)).json()["name"] == "Ana Lima"


async def _heard_stale(app: Starlette) -> None:
    """Until the profile's `stale` event waits for the app's document cache (polling, as
    Redis is another process's pace). Other events (a sign-up's, work coming due) may
    arrive first and must not count."""
    waiting = cache_of(app)._listener._queue._queue  # asyncio.Queue's deque, read, not taken
    while not any(event.kind == EventKind.stale for event in list(waiting)):
        await asyncio.sleep(0.01)
