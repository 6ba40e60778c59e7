"""A Mastodon server in miniature (mastodon.test, member Zoe) beside one Porch (porch.test).

The double serves what Porch fetches from Mastodon (WebFinger, Zoe's actor document,
any note a test publishes) and records what Porch POSTs to it. Tests deliver the JSON
in fixtures/mastodon/ to Porch's inbox, signed with Zoe's key, as Mastodon would.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.signatures import HttpSignatureAuth, KeyPair
from server.clock import FrozenClock
from server.models import (
    Actor,
    Attachment,
    Block,
    Follow,
    Like,
    Mention,
    Notification,
    Poll,
    Post,
    PostEdit,
    PostTag,
    ReceivedActivity,
    Tombstone,
)
from tests.conftest import Person
from tests.federation.conftest import Fediverse, Instance, run_jobs, start_instance

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "mastodon"
PORCH = "porch.test"
MASTODON = "mastodon.test"
#: A third server, served by the same double, for content passed on by Zoe.
OTHER = "other.test"
ZOE = "https://mastodon.test/users/zoe"
ZOE_KEY_ID = ZOE + "#main-key"
#: The post of Ana's the fixtures answer, like and boost; rewritten to her real one.
FIXTURE_ANA_POST = "https://porch.test/users/ana/statuses/110000000000000001"
AS2 = "application/activity+json"

#: What an activity can leave behind; "nothing stored" means none of these changed.
CONTENT_TABLES: tuple[type[SQLModel], ...] = (
    Post,
    Follow,
    Like,
    Block,
    Mention,
    PostTag,
    Attachment,
    Poll,
    PostEdit,
    Notification,
    Tombstone,
    ReceivedActivity,
)

Mutation = Callable[[dict[str, Any]], dict[str, Any] | None]


def fixture(name: str) -> dict[str, Any]:
    """A fixture document as stored, placeholders and all."""
    data: dict[str, Any] = json.loads((FIXTURE_DIR / f"{name}.json").read_text())
    return data


def _replace(value: Any, swaps: dict[str, str]) -> Any:
    """`value` with every placeholder replaced, inside any string at any depth."""
    if isinstance(value, str):
        for old, new in swaps.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(item, swaps) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, swaps) for key, item in value.items()}
    return value


class MastodonDouble:
    """mastodon.test: Zoe's documents out, Porch's deliveries in."""

    def __init__(self, key: KeyPair) -> None:
        self.key = key
        #: (path, parsed JSON) of every POST Porch made, in order.
        self.received: list[tuple[str, dict[str, Any]]] = []
        #: URLs of every GET Porch made.
        self.fetched: list[str] = []
        #: Extra documents by URL, such as notes a test says Zoe published. The app
        #: serves them on any host it is given (other.test stands for a third server).
        self.documents: dict[str, dict[str, Any]] = {}
        #: Zoe deleted her account: her actor answers 410.
        self.zoe_gone = False
        #: The server is overloaded: every request answers 503.
        self.down = False
        #: Followers-only posts: URL → the one reader (an actor id) its GET must be
        #: signed by; anyone else gets 404, as from Mastodon.
        self.readers: dict[str, str] = {}
        #: Deleted posts: their URLs answer 410 Gone.
        self.gone: set[str] = set()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    def actor(self) -> dict[str, Any]:
        """Zoe's actor document with her public key in place."""
        return _replace(fixture("actor_zoe"), {"PUBLIC_KEY_PEM": self.key.public_pem})

    def publish(self, document: dict[str, Any]) -> None:
        """Serve `document` at its id, as Zoe's server does for what exists."""
        self.documents[document["id"].split("#")[0]] = document

    def add_person(self, username: str, key: KeyPair, host: str = MASTODON) -> str:
        """Another account, served like Zoe's; returns its id."""
        uri = f"https://{host}/users/{username}"
        doc = _replace(self.actor(), {ZOE: uri, self.key.public_pem: key.public_pem})
        doc["preferredUsername"] = username
        self.publish(doc)
        return uri

    def posts_to(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.received if where == path]

    async def _handle(self, request: Request) -> Response:
        if self.down:
            return Response("Service Unavailable", 503, headers={"Retry-After": "60"})
        path, host = request.url.path, request.url.hostname
        if request.method == "POST":
            self.received.append((path, json.loads(await request.body())))
            return Response(status_code=202)
        self.fetched.append(str(request.url))
        url = f"https://{host}{path}"
        if url in self.gone:
            return _as2({"id": url, "type": "Tombstone"}, 410)
        signer = re.search(r'keyId="([^"#]*)', request.headers.get("signature", ""))
        if url in self.readers and (signer is None or signer.group(1) != self.readers[url]):
            return Response(status_code=404)
        if f"https://{host}{path}" in self.documents:
            return _as2(self.documents[f"https://{host}{path}"])
        if host != MASTODON:
            return Response(status_code=404)
        if path == "/.well-known/webfinger":
            if request.query_params.get("resource") != f"acct:zoe@{MASTODON}":
                return Response(status_code=404)
            return JSONResponse(
                {
                    "subject": f"acct:zoe@{MASTODON}",
                    "aliases": [f"https://{MASTODON}/@zoe", ZOE],
                    "links": [{"rel": "self", "type": AS2, "href": ZOE}],
                },
                media_type="application/jrd+json",
            )
        if path == "/users/zoe":
            if self.zoe_gone:
                return _as2({"id": ZOE, "type": "Tombstone"}, 410)
            return _as2(self.actor())
        return Response(status_code=404)


def _as2(document: dict[str, Any], status: int = 200) -> Response:
    # json.dumps escapes what is not ASCII, so even a lone surrogate goes out as JSON
    # escapes the way another server might send it.
    return Response(json.dumps(document), status, media_type=AS2)


@dataclass
class Scene:
    """Ana on porch.test with one published post, and Zoe on mastodon.test."""

    porch: Instance
    mastodon: MastodonDouble
    clock: FrozenClock
    net: Fediverse
    ana: Person
    ana_post_id: int
    _clients: list[httpx.AsyncClient] = field(default_factory=list)
    _sender: httpx.AsyncClient | None = None  # Zoe's server's connection to Porch

    @property
    def app(self) -> Starlette:
        return self.porch.app

    @property
    def ana_post_uri(self) -> str:
        return f"https://{PORCH}/users/ana/statuses/{self.ana_post_id}"

    @property
    def zoe_key(self) -> KeyPair:
        return self.mastodon.key

    def session(self) -> AsyncSession:
        """A database session on Porch (use as `async with scene.session() as s`)."""
        session: AsyncSession = self.app.state.sessions()
        return session

    async def rows(self, model: type[Any], *conditions: Any) -> list[Any]:
        """Porch's rows of `model` meeting `conditions`."""
        async with self.session() as session:
            return list((await session.exec(select(model).where(*conditions))).all())

    async def counts(self) -> dict[str, int]:
        """How many rows each table an activity can change holds."""
        found = {}
        async with self.session() as session:
            for model in CONTENT_TABLES:
                query = select(func.count()).select_from(model)
                found[str(model.__tablename__)] = int((await session.exec(query)).one())
        return found

    async def actor(self, uri_or_username: str) -> Actor:
        """Zoe (by her id) or a member here (by username), as Porch stores them."""
        if "/" in uri_or_username:
            condition = col(Actor.uri) == uri_or_username
        else:
            condition = (col(Actor.username) == uri_or_username) & col(Actor.domain).is_(None)
        found = await self.rows(Actor, condition)
        assert found, f"Porch does not know {uri_or_username}"
        actor: Actor = found[0]
        return actor

    async def post_by_uri(self, uri: str) -> Post | None:
        found = await self.rows(Post, col(Post.uri) == uri)
        return found[0] if found else None

    async def member(self, name: str) -> Person:
        """Another member of porch.test, signed up and signed in."""
        person = await self.porch.sign_up(name)
        self._clients.append(person.client)
        return person

    def visitor(self) -> httpx.AsyncClient:
        """Someone not logged in on porch.test."""
        client = self.porch.client()
        self._clients.append(client)
        return client

    def load(self, name: str) -> dict[str, Any]:
        """A fixture with Zoe's real key and Ana's real post id in place."""
        return self.substitute(fixture(name))

    def substitute(self, data: dict[str, Any]) -> dict[str, Any]:
        swaps = {"PUBLIC_KEY_PEM": self.zoe_key.public_pem, FIXTURE_ANA_POST: self.ana_post_uri}
        result: dict[str, Any] = _replace(copy.deepcopy(data), swaps)
        return result

    async def deliver(
        self,
        activity: str | dict[str, Any],
        *,
        key: KeyPair | None = None,
        key_id: str = ZOE_KEY_ID,
        path: str = "/inbox",
        mutate: Mutation | None = None,
    ) -> httpx.Response:
        """POST a fixture (by name) or a document to Porch's inbox, signed as Zoe.

        `mutate` may change the document in place or return a replacement.
        """
        data = self.load(activity) if isinstance(activity, str) else self.substitute(activity)
        if mutate is not None:
            data = mutate(data) or data
        return await self.post(json.dumps(data).encode(), key=key, key_id=key_id, path=path)

    async def post(
        self,
        body: bytes,
        *,
        key: KeyPair | None = None,
        key_id: str = ZOE_KEY_ID,
        path: str = "/inbox",
        content_type: str = AS2,
        signed: bool = True,
        signed_at: datetime | None = None,
        wire_body: bytes | None = None,
    ) -> httpx.Response:
        """POST raw bytes to Porch. `signed_at` backdates the signature; `wire_body`
        sends other bytes than the ones signed (a tampered request)."""
        if self._sender is None:
            self._sender = self.visitor()
        client = self._sender
        request = client.build_request(
            "POST", path, content=body, headers={"Content-Type": content_type}
        )
        if signed:
            private_pem = (key or self.zoe_key).private_pem
            moment = signed_at or self.clock.now()
            auth = HttpSignatureAuth(key_id, private_pem, now=lambda: moment)
            request = next(auth.auth_flow(request))
        if wire_body is not None:
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"content-length"]
            request = httpx.Request("POST", request.url, headers=headers, content=wire_body)
        return await client.send(request)

    async def drain(self, seconds: float = 0) -> None:
        """Move the clock on and run Porch's jobs (publishing, fan-out, delivery) dry."""
        self.clock.advance(seconds)
        for _ in range(20):
            if await run_jobs(self.app, self.clock) == 0:
                return
        raise AssertionError("jobs kept finding work after 20 rounds")

    async def ana_follows_zoe(self) -> None:
        """Ana finds @zoe@mastodon.test, follows her, and Zoe's server accepts."""
        found = await self.ana.client.get("/search", params={"q": "@zoe@mastodon.test"})
        assert found.status_code == 303, found.text
        profile = found.headers["location"]
        token = await self.ana.token(profile)
        response = await self.ana.client.post(profile + "/follow", data={"csrf_token": token})
        assert response.status_code == 303, response.text
        await self.drain()
        follows = [b for b in self.mastodon.posts_to("/users/zoe/inbox") if b["type"] == "Follow"]
        assert follows, "Porch sent Zoe no Follow"
        accepted = await self.deliver(
            "accept_follow",
            mutate=lambda a: {**a, "object": {**a["object"], "id": follows[-1]["id"]}},
        )
        assert accepted.status_code == 202, accepted.text

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


@pytest.fixture(name="scene")
async def scene_fixture(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Scene]:
    """porch.test with Ana and her published post, and mastodon.test with Zoe.

    SQLite only, as the world fixture explains: federation behaves the same on either
    database, and the services it calls are covered on PostgreSQL elsewhere.
    """
    async with _scene(tmp_path, sqlite_template) as scene:
        yield scene


@pytest.fixture(name="scene_on_both")
async def scene_on_both_fixture(
    tmp_path: Path, sqlite_template: Path, database_url: str
) -> AsyncIterator[Scene]:
    """The same scene, once on SQLite and once on PostgreSQL, for what the database
    itself may refuse (text it cannot store)."""
    async with _scene(tmp_path, sqlite_template, database_url) as scene:
        yield scene


@asynccontextmanager
async def _scene(
    tmp_path: Path, sqlite_template: Path, database_url: str | None = None
) -> AsyncIterator[Scene]:
    net, clock = Fediverse(), FrozenClock()
    mastodon = MastodonDouble(KeyPair.generate())
    async with AsyncExitStack() as stack:
        app = await start_instance(
            stack, tmp_path, sqlite_template, PORCH, net, clock, database_url
        )
        net.apps[MASTODON] = mastodon.app
        net.apps[OTHER] = mastodon.app
        porch = Instance(PORCH, app)
        ana = await porch.sign_up("ana")
        stack.push_async_callback(ana.client.aclose)
        post_id = await ana.post("Casting on a new jumper tonight.")
        clock.advance(31)
        await app.state.jobs.run_due()
        scene = Scene(porch, mastodon, clock, net, ana, post_id)
        stack.push_async_callback(scene.close)
        yield scene
