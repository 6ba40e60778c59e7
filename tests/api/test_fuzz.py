"""Whatever parameters an app sends, the client API answers in Mastodon's shape, never a 500.

For a representative set of endpoints, Hypothesis sends parameter maps: the real names
mixed with made-up ones, and values of every kind (text, unicode, huge and negative
numbers, lists, nested maps, booleans, null), as a query string, a form, multipart or
JSON. Each endpoint first gets a fixed table of sharp values in each of its parameters
(so the run finds the same bugs every time), then random maps. One running server per
endpoint serves its whole run; the answer must never be a 5xx, always be JSON, and a
refusal must carry a string `error`. Text includes NUL, which PostgreSQL cannot
store; lone surrogates (which only JSON can carry: clients cannot encode them in a
query or a form) are tested in test_bad_input.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.api.conftest import REDIRECT, Running

#: Random examples per endpoint, after the table: each database's run stays near 40 s.
EXAMPLES = 80
#: Longer request targets than this are cut off by uvicorn (h11) before Porch sees them.
MAX_TARGET = 8000
WAYS = ["query", "form", "multipart", "json"]

# --- Values -------------------------------------------------------------------------------

#: Text an app or a person might send, and text meant to break things.
NASTY = [
    "",
    " ",
    "\n",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "true",
    "false",
    "null",
    "None",
    "[]",
    "{}",
    "a" * 501,
    "é" * 600,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "%",
    "_",
    "@ana",
    "@ana@localhost",
    "@nobody@unreachable.invalid",
    "#tea",
    "https://unreachable.invalid/@zoe",
    "2030-01-01T10:00:00Z",
    "0,0",
    "3,3",
    "-1,1",
    "nan,nan",
    "🙂🙂🙂",
    "\u202e\u200b\ufeff",
    "public",
    "direct",
    "read write follow push",
    "authorization_code",
    "client_credentials",
    "urn:ietf:wg:oauth:2.0:oob",
    REDIRECT,
]
#: What apps put where an id belongs, besides Porch's own ids.
ID_LIKE = [
    "0",
    "-1",
    "+1",
    " 1",
    "1.0",
    "0x1f",
    "1_000",
    "abc",
    "²",
    "①",
    "١٢",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "109876543210987654@remote",
]
#: The table: each of these goes into each real parameter of each endpoint once.
SHARP = ["", "-1", "²", "2147483648", "9223372036854775807", "1e309", "a" * 600, "\u202e"]

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=100),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.sampled_from(NASTY),
    st.sampled_from(ID_LIKE),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=10,
)

# --- Endpoints ----------------------------------------------------------------------------


@dataclass
class Scene:
    """What the fuzzed requests can point at: ids that exist, and credentials that work."""

    post_id: str
    media_id: str
    client_id: str
    client_secret: str
    ids: list[str]


Fields = Callable[[Scene], dict[str, st.SearchStrategy[Any]]]


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    #: Real parameter names, each with values that make sense for it.
    fields: Fields
    signed_in: bool = True


def ids(scene: Scene) -> st.SearchStrategy[Any]:
    """Porch's ids (posts' are big, the rest small), id-like text, or anything."""
    return st.sampled_from(scene.ids) | st.sampled_from(ID_LIKE) | values


def paging(scene: Scene) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "limit": st.integers(-(2**65), 2**65) | values,
        "max_id": ids(scene),
        "since_id": ids(scene),
        "min_id": ids(scene),
    }


KINDS = ["mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update"]
VISIBILITIES = ["public", "unlisted", "private", "direct"]

TARGETS = {
    "post status": Target(
        "POST",
        "/api/v1/statuses",
        lambda s: {
            "status": values,
            "visibility": st.sampled_from(VISIBILITIES) | values,
            "in_reply_to_id": ids(s),
            "media_ids": st.lists(ids(s), max_size=6) | values,
            "media_ids[]": ids(s),
            "sensitive": values,
            "spoiler_text": values,
            "language": st.sampled_from(["en", "pt-BR", "zz", "EN", "en-"]) | values,
            "poll": values,
            "scheduled_at": values,
        },
    ),
    "edit status": Target(
        "PUT",
        "/api/v1/statuses/{post_id}",
        lambda s: {
            "status": values,
            "media_ids": st.lists(ids(s), max_size=6) | values,
            "sensitive": values,
            "spoiler_text": values,
            "language": values,
            "poll": values,
        },
    ),
    "home timeline": Target("GET", "/api/v1/timelines/home", paging),
    "search": Target(
        "GET",
        "/api/v2/search",
        lambda s: {
            "q": values,
            "type": st.sampled_from(["accounts", "statuses", "hashtags"]) | values,
            "resolve": values,
            "following": values,
            "account_id": ids(s),
            "offset": st.integers(-(2**65), 2**65) | values,
            "exclude_unreviewed": values,
            **paging(s),
        },
    ),
    "create list": Target(
        "POST",
        "/api/v1/lists",
        lambda s: {
            "title": values,
            "replies_policy": st.sampled_from(["followed", "list", "none"]) | values,
            "exclusive": values,
        },
    ),
    "update media": Target(
        "PUT",
        "/api/v1/media/{media_id}",
        lambda s: {
            "description": values,
            "focus": st.tuples(st.floats(), st.floats()).map(lambda p: f"{p[0]},{p[1]}") | values,
            "thumbnail": values,
        },
    ),
    "update credentials": Target(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        lambda s: {
            "display_name": values,
            "note": values,
            "locked": values,
            "bot": values,
            "discoverable": values,
            "fields_attributes": values,
            "fields_attributes[0][name]": values,
            "fields_attributes[0][value]": values,
            "source[privacy]": values,
            "source[language]": values,
            "avatar": values,
        },
    ),
    "register app": Target(
        "POST",
        "/api/v1/apps",
        lambda s: {
            "client_name": values,
            "redirect_uris": st.sampled_from([REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]) | values,
            "scopes": st.sampled_from(["read", "read write", "write:statuses", "admin"]) | values,
            "website": values,
        },
        signed_in=False,
    ),
    "token": Target(
        "POST",
        "/oauth/token",
        lambda s: {
            "grant_type": st.sampled_from(["authorization_code", "client_credentials"]) | values,
            "client_id": st.just(s.client_id) | values,
            "client_secret": st.just(s.client_secret) | values,
            "code": values,
            "redirect_uri": st.just(REDIRECT) | values,
            "code_verifier": values,
            "scope": st.sampled_from(["read", "write", "read write", "admin"]) | values,
        },
        signed_in=False,
    ),
    "notifications": Target(
        "GET",
        "/api/v1/notifications",
        lambda s: {
            "types": st.lists(st.sampled_from(KINDS) | values, max_size=4) | values,
            "types[]": st.sampled_from(KINDS) | values,
            "exclude_types": st.lists(st.sampled_from(KINDS) | values, max_size=4) | values,
            "account_id": ids(s),
            "include_filtered": st.sampled_from(["true", "false", "1"]) | values,
            **paging(s),
        },
    ),
    "notification policy": Target(
        "PATCH",
        "/api/v2/notifications/policy",
        lambda s: {
            name: st.sampled_from(["accept", "filter", "drop", "default"]) | values
            for name in (
                "for_not_following",
                "for_not_followers",
                "for_new_accounts",
                "for_private_mentions",
                "for_limited_accounts",
            )
        },
    ),
    "accept notification requests": Target(
        "POST",
        "/api/v1/notifications/requests/accept",
        lambda s: {"id": st.lists(ids(s), max_size=3) | values, "id[]": ids(s)},
    ),
}


@st.composite
def parameters(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Some of the real parameters and some made-up ones, with anything in them."""
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    found = {name: draw(fields[name]) for name in chosen}
    made_up = draw(
        st.dictionaries(
            texts | st.sampled_from(["id", "status[]", "a[b][c]", "[]", "access_token", "_"]),
            values,
            max_size=3,
        )
    )
    return {**made_up, **found}


def table(fields: dict[str, Any], scene: Scene) -> list[tuple[dict[str, Any], str]]:
    """Each sharp value (and a post's id) in each real parameter, sent each way in turn."""
    ways = cycle(WAYS)
    return [
        ({name: value}, next(ways)) for name in sorted(fields) for value in [*SHARP, scene.post_id]
    ]


# --- Sending ------------------------------------------------------------------------------


def rails(prefix: str, value: Any) -> list[tuple[str, str]]:
    """A value as Rails-style form or query pairs (`a[]=1`, `a[b]=2`), as apps send them."""
    if isinstance(value, dict):
        return [pair for key, inner in value.items() for pair in rails(f"{prefix}[{key}]", inner)]
    if isinstance(value, list):
        return [pair for inner in value for pair in rails(f"{prefix}[]", inner)]
    if value is None:
        return [(prefix, "")]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def flat(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [pair for key, value in params.items() for pair in rails(key, value)]


def send(
    api: httpx.Client, method: str, path: str, params: dict[str, Any], way: str
) -> httpx.Response:
    if way == "query" or method == "GET":
        request = api.build_request(method, path, params=tuple(flat(params)))
        assume(len(request.url.raw_path) < MAX_TARGET)
        return api.send(request)
    if way == "form":
        form: dict[str, list[str]] = {}
        for key, value in flat(params):
            form.setdefault(key, []).append(value)
        return api.request(method, path, data=form)
    if way == "multipart":
        parts = [(k, (None, v.encode(), None)) for k, v in flat(params)]
        return api.request(method, path, files=parts or [("_", (None, b"", None))])
    body = json.dumps(params).encode()
    return api.request(method, path, content=body, headers={"Content-Type": "application/json"})


def settled(response: httpx.Response) -> None:
    """After a 5xx, wait until the server has logged its traceback (see test_bad_input)."""
    if response.status_code >= 500:
        url = response.request.url
        httpx.get(f"{url.scheme}://{url.netloc.decode()}/api/v1/instance", timeout=30)


def answered_properly(response: httpx.Response) -> None:
    """Never a 5xx; always JSON; refusals carry a string `error` (Mastodon's or OAuth's)."""
    request = f"{response.request.method} {response.request.url}"
    settled(response)
    assert response.status_code < 500, (request, response.request.content, response.text)
    try:
        body = response.json()
    except ValueError:
        raise AssertionError((request, response.status_code, response.text)) from None
    if 400 <= response.status_code < 500:
        assert isinstance(body, dict), (request, body)
        assert isinstance(body.get("error"), str), (request, body)


# --- The run ------------------------------------------------------------------------------


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 200)).save(picture, "PNG")
    return picture.getvalue()


def make_scene(server: Running) -> Scene:
    """Ana posted (with an image), Ben follows and likes it, Ana has a list; an app exists."""
    ana_id, ben_id = str(server.member("ana")), str(server.member("ben"))
    with server.api("ana") as ana, server.api("ben") as ben:
        ok(ben.post(f"/api/v1/accounts/{ana_id}/follow"))
        files = {"file": ("porch.png", png(), "image/png")}
        media = ok(ana.post("/api/v2/media", files=files, data={"description": "Porch"}))
        spare = ok(ana.post("/api/v2/media", files=files))
        post = ok(
            ana.post("/api/v1/statuses", json={"status": "Tea #porch", "media_ids": [media["id"]]})
        )
        server.publish_due(31)
        ok(ben.post(f"/api/v1/statuses/{post['id']}/favourite"))
        made = ok(ana.post("/api/v1/lists", data={"title": "Tea people"}))
    client_id, secret = server.register_app()
    return Scene(
        post_id=post["id"],
        media_id=spare["id"],
        client_id=client_id,
        client_secret=secret,
        ids=[post["id"], media["id"], spare["id"], ana_id, ben_id, made["id"]],
    )


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_parameters_make_the_api_fail_or_answer_out_of_shape(
    server: Running, name: str, request: pytest.FixtureRequest
) -> None:
    target = TARGETS[name]
    scene = make_scene(server)
    path = target.path.format(post_id=scene.post_id, media_id=scene.media_id)
    fields = target.fields(scene)

    with server.api("ana" if target.signed_in else None) as api:

        def fuzz(params: dict[str, Any], way: str) -> None:
            answered_properly(send(api, target.method, path, params, way))

        run = given(params=parameters(fields), way=st.sampled_from(WAYS))(fuzz)
        for params, way in reversed(table(fields, scene)):
            run = example(params=params, way=way)(run)
        settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )(run)()
