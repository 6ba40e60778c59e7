"""Discovery and public documents come from kept bytes: the same bytes, for the same asks.

Each answer from the cache is compared with what Porch answers with the cache turned off,
on the same database: status, every header, and the body, byte for byte.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from federation.document_cache import DocumentCache, DocumentStore
from server.app import create_app
from server.bus import QUEUE_SIZE, LocalBus
from server.clock import FrozenClock
from server.config import Settings
from server.services.events import Event, EventKind
from tests.conftest import Person, client_for, publish_due

AS2 = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
HOST = "localhost:8000"


def cache_of(app: Starlette) -> DocumentCache:
    """The app's document cache (the middleware stack is built on the first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, DocumentCache):
        layer = layer.app  # type: ignore[union-attr]
    return layer


def store_of(app: Starlette) -> DocumentStore:
    return cache_of(app).store


@pytest.fixture
async def uncached(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """Porch on the same database with the document cache off: what the routes answer."""
    plain = create_app(
        settings.model_copy(update={"document_cache_mb": 0}),
        clock=clock,
        apply_migrations=False,
        run_jobs=False,
    )
    async with plain.router.lifespan_context(plain), client_for(plain) as client:
        yield client


def same(one: httpx.Response, other: httpx.Response) -> bool:
    return (one.status_code, one.headers.raw, one.content) == (
        other.status_code,
        other.headers.raw,
        other.content,
    )


async def ana_has_a_post(app: Starlette, clock: FrozenClock, ana: Person) -> int:
    post_id = await ana.post("Bread is ready at the corner shop")
    await publish_due(app, clock, 31)
    return post_id


async def test_each_document_is_kept_once_and_sent_again_byte_for_byte(
    app: Starlette,
    clock: FrozenClock,
    people: dict[str, Person],
    visitor: httpx.AsyncClient,
    uncached: httpx.AsyncClient,
) -> None:
    """Other servers ask Ana's server about her again and again: the second answer is the
    kept one, and nothing tells it from the route's."""
    post_id = await ana_has_a_post(app, clock, people["ana"])
    asks = [
        ("/.well-known/webfinger", {"resource": f"acct:ana@{HOST}"}, None),
        ("/.well-known/webfinger", {"resource": f"http://{HOST}/@ana"}, None),
        ("/.well-known/webfinger", {"resource": f"acct:{HOST}@{HOST}"}, None),
        ("/users/ana", {}, AS2),
        ("/@ana", {}, LD),
        ("/actor", {}, AS2),
        ("/.well-known/nodeinfo", {}, None),
        ("/nodeinfo/2.0", {}, None),
        ("/nodeinfo/2.1", {}, None),
        (f"/users/ana/statuses/{post_id}", {}, AS2),
        (f"/@ana/{post_id}", {}, AS2),
        (f"/users/ana/statuses/{post_id}/activity", {}, AS2),
    ]
    store: DocumentStore | None = None
    for path, params, accept in asks:
        headers = {"Accept": accept} if accept else {}
        first = await visitor.get(path, params=params, headers=headers)
        assert first.status_code == 200, (path, first.text)
        store = store_of(app)
        kept = len(store)
        again = await visitor.get(path, params=params, headers=headers)
        assert len(store) == kept  # served from the store, nothing new kept
        route = await uncached.get(path, params=params, headers=headers)
        assert same(first, route) and same(again, route), path
        head = await visitor.head(path, params=params, headers=headers)
        assert (head.status_code, head.headers.raw, head.content) == (200, route.headers.raw, b"")
    assert store is not None
    # /@ana is kept as /users/ana (ProfileAliases' mapping): one entry for both.
    assert len(store) == len(asks) - 2
    assert store.get(("/users/ana", b"", True, False)) is not None
    actor = await visitor.get("/users/ana", headers={"Accept": AS2})
    assert actor.headers["vary"] == "Accept"
    assert actor.headers["x-content-type-options"] == "nosniff"  # SecurityHeaders' own


async def test_people_asking_for_pages_get_pages_whatever_was_kept(
    app: Starlette,
    clock: FrozenClock,
    people: dict[str, Person],
    visitor: httpx.AsyncClient,
    uncached: httpx.AsyncClient,
) -> None:
    """The same URLs serve people HTML and servers JSON: a kept document never reaches a
    browser, and odd Accept headers get what the route gives them."""
    post_id = await ana_has_a_post(app, clock, people["ana"])
    for path in ("/@ana", "/users/ana", f"/@ana/{post_id}", f"/users/ana/statuses/{post_id}"):
        await visitor.get(path, headers={"Accept": AS2})
        for accept in (
            "text/html,application/xhtml+xml",
            "application/json",
            "application/ld+json",
            "*/*",
            "",
            "APPLICATION/ACTIVITY+JSON",
            "text/html;q=0.9, application/activity+json;q=0.1",
            'application/ld+json;profile="https://www.w3.org/ns/activitystreams"',
        ):
            served = await visitor.get(path, headers={"Accept": accept})
            route = await uncached.get(path, headers={"Accept": accept})
            assert same(served, route), (path, accept)
    page = await visitor.get("/@ana", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "Bread" in page.text
    assert page.headers["content-security-policy"]


async def test_bad_asks_get_the_routes_answer_after_a_good_one_was_kept(
    people: dict[str, Person], visitor: httpx.AsyncClient, uncached: httpx.AsyncClient
) -> None:
    good = {"resource": f"acct:ana@{HOST}"}
    assert (await visitor.get("/.well-known/webfinger", params=good)).status_code == 200
    for query in (
        "",
        "resource=",
        f"resource=acct:zed@{HOST}",
        "resource=acct:ana@elsewhere.example",
        f"resource=acct:ana@{HOST}%00",
        f"resource=acct:ana@{HOST}&page=%00",
        f"resource=acct:ana@{HOST}&resource=acct:zed@{HOST}",
    ):
        served = await visitor.get(f"/.well-known/webfinger?{query}")
        route = await uncached.get(f"/.well-known/webfinger?{query}")
        assert served.status_code in (400, 404), query
        assert same(served, route), query
    for path in ("/nodeinfo/3.0", "/users/zed", "/users/ana/statuses/99999999", "/users/ana%00"):
        served = await visitor.get(path, headers={"Accept": AS2})
        assert served.status_code in (400, 404) and same(
            served, await uncached.get(path, headers={"Accept": AS2})
        ), path


async def test_nothing_a_stranger_sends_puts_other_bytes_under_a_key(
    app: Starlette, people: dict[str, Person], uncached: httpx.AsyncClient
) -> None:
    """Zoe asks first with a forged Host, a query and a cookie: what she leaves in the
    store is what anyone gets for those asks, and the plain ask is unharmed."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://evil.example"
    ) as zoe:
        forged = await zoe.get("/users/ana", headers={"Accept": AS2, "Host": "evil.example"})
        assert "evil.example" not in forged.text
        await zoe.get("/users/ana?id=evil", headers={"Accept": AS2})
        with_cookie = await zoe.get(
            "/users/ana", headers={"Accept": AS2, "Cookie": "porch_session=forged"}
        )
        assert with_cookie.status_code == 200
    async with client_for(app) as anyone:
        plain = await anyone.get("/users/ana", headers={"Accept": AS2})
        assert same(plain, await uncached.get("/users/ana", headers={"Accept": AS2}))
        assert plain.json()["id"] == f"http://{HOST}/users/ana"
    store = store_of(app)
    keys = {key[:2] for key in store._entries}
    assert keys == {("/users/ana", b""), ("/users/ana", b"id=evil")}


async def test_a_member_signed_in_is_never_served_or_stored(
    app: Starlette, people: dict[str, Person]
) -> None:
    """Requests with a cookie go to the app: a session cookie would be refreshed there."""
    ana = people["ana"].client
    answer = await ana.get("/users/ana", headers={"Accept": AS2})
    assert answer.status_code == 200
    assert len(store_of(app)) == 0


async def test_the_store_keeps_within_its_bound(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    await visitor.get("/users/ana", headers={"Accept": AS2})
    store = store_of(app)
    one = store.size
    store.max_bytes = one * 3 + 200  # room for three actor documents, not four
    for name in ("ana", "ben", "cleo"):
        await visitor.get(f"/users/{name}", headers={"Accept": AS2})
    await visitor.get("/users/ana", headers={"Accept": AS2})  # Ana's is the newest used
    await visitor.get("/users/ana?again", headers={"Accept": AS2})
    assert store.size <= store.max_bytes
    assert [key[0] for key in store._entries] == ["/users/cleo", "/users/ana", "/users/ana"]


class _Inner:
    """An app answering every request with a 200 document, committing `during` first."""

    def __init__(self, bus: LocalBus) -> None:
        self.bus = bus
        self.during: list[Event] = []
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        self.bus.emit(self.during)  # as a commit elsewhere would, while this one renders
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"name":"ana"}'})


async def _ask(cache: DocumentCache, app: SimpleNamespace, path: str = "/users/ana") -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"accept", AS2.encode())],
        "app": app,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        pass

    await cache(scope, receive, send)


async def test_an_answer_rendered_while_its_change_was_committed_is_not_kept() -> None:
    bus = LocalBus()
    inner = _Inner(bus)
    cache = DocumentCache(inner, max_bytes=1_048_576, clock=FrozenClock())
    app = SimpleNamespace(
        state=SimpleNamespace(bus=bus, settings=SimpleNamespace(authorized_fetch=False))
    )
    inner.during = [Event(EventKind.stale, 1, topic="actor")]
    await _ask(cache, app)
    assert len(cache.store) == 0  # it may show the profile from before the change
    inner.during = [Event(EventKind.post_published, 7)]  # about nothing kept here
    await _ask(cache, app)  # kept this time
    await _ask(cache, app)  # and served from the store
    assert (len(cache.store), inner.calls) == (1, 2)


async def test_a_cache_that_fell_behind_the_events_starts_afresh() -> None:
    bus = LocalBus()
    inner = _Inner(bus)
    cache = DocumentCache(inner, max_bytes=1_048_576, clock=FrozenClock())
    app = SimpleNamespace(
        state=SimpleNamespace(bus=bus, settings=SimpleNamespace(authorized_fetch=False))
    )
    await _ask(cache, app)
    assert len(cache.store) == 1
    bus.emit([Event(EventKind.post_published, n) for n in range(QUEUE_SIZE + 1)])
    await _ask(cache, app, "/users/ben")
    assert [key[0] for key in cache.store._entries] == ["/users/ben"]
