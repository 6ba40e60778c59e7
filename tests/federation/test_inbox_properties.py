"""Whatever arrives, the inbox answers: parsing raises only Malformed, and no POST gets a 5xx."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation import bodies, incoming
from federation.incoming import Malformed
from tests.federation.mastodon_double import (
    FIXTURE_ANA_POST,
    FIXTURE_DIR,
    OTHER,
    ZOE,
    Scene,
    fixture,
    scene_fixture,  # noqa: F401
)

#: The types real servers send, and a few nobody does.
TYPES = [
    "Create",
    "Update",
    "Delete",
    "Follow",
    "Accept",
    "Reject",
    "Undo",
    "Like",
    "Announce",
    "Block",
    "Add",
    "Remove",
    "Move",
    "Flag",
    "EmojiReact",
    "QuoteRequest",
    "Note",
    "Question",
    "Article",
    "Person",
    "Service",
    "Tombstone",
    "Mention",
    "Hashtag",
    "Document",
    "Arrive",
    "",
    "create",
]
URLS = [
    ZOE,
    ZOE + "/followers",
    ZOE + "/statuses/113800000000000099",
    "https://mastodon.test/users/zoe#main-key",
    "https://porch.test/users/ana",
    "https://porch.test/users/nobody",
    FIXTURE_ANA_POST,
    "https://porch.test/@ana/1",
    "https://porch.test/users/ana/statuses/99999999999999999999",
    "https://porch.test/activities/follow/1",
    f"https://{OTHER}/notes/1",
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "javascript:alert(1)",
    "https://",
    "https://" + "a" * 3000 + ".test/",
    "http://[::1]/",
]

#: Keys of the objects nested in activities (tags, attachments, poll options, keys).
KEYS = [
    "id",
    "type",
    "href",
    "url",
    "name",
    "summary",
    "mediaType",
    "width",
    "height",
    "blurhash",
    "replies",
    "totalItems",
    "publicKeyPem",
    "owner",
    "actor",
    "object",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(URLS),
    st.sampled_from(TYPES),
    st.sampled_from(["2025-01-15T10:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31", "now"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """An object shaped like an activity, note or actor, with anything in its fields."""
    doc: dict[str, Any] = {}
    fields = {
        "@context": st.sampled_from([incoming.AS, [incoming.AS, {"toot": "x"}], None]) | values,
        "id": st.sampled_from(URLS) | values,
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), max_size=2) | values,
        "actor": st.sampled_from(URLS) | values,
        "attributedTo": st.sampled_from(URLS) | values,
        "to": st.lists(st.sampled_from(URLS) | values, max_size=3) | values,
        "cc": st.lists(st.sampled_from(URLS) | values, max_size=3) | values,
        "tag": st.lists(values, max_size=3) | values,
        "attachment": st.lists(values, max_size=3) | values,
        "content": st.text() | st.sampled_from(["<p>hi</p>", "<script>x</script>"]) | values,
        "contentMap": st.dictionaries(st.text(max_size=5), values, max_size=2) | values,
        "summary": st.text() | values,
        "inReplyTo": st.sampled_from(URLS) | values,
        "published": values,
        "updated": values,
        "oneOf": st.lists(values, max_size=3) | values,
        "anyOf": values,
        "endTime": values,
        "votersCount": values,
        "sensitive": values,
        "preferredUsername": st.text(max_size=10) | values,
        "inbox": st.sampled_from(URLS) | values,
        "publicKey": values,
        "endpoints": values,
        "icon": values,
        "name": values,
    }
    for name in draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=12)):
        doc[name] = draw(fields[name])
    if depth < 2 and draw(st.booleans()):
        doc["object"] = draw(documents(depth + 1))
    elif draw(st.booleans()):
        doc["object"] = draw(st.sampled_from(URLS) | values)
    return doc


FIXTURES = sorted(p.stem for p in FIXTURE_DIR.glob("*.json") if p.stem != "actor_zoe")


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> dict[str, Any]:
    """A real Mastodon activity with a few values anywhere in it replaced or added."""
    doc = fixture(draw(st.sampled_from(FIXTURES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        # Walk down from the top, into objects and lists, and change something there.
        target: Any = doc
        while True:
            children = [
                c
                for c in (target.values() if isinstance(target, dict) else target)
                if isinstance(c, dict | list) and c
            ]
            if not children or draw(st.integers(0, 2)) == 0:
                break
            target = draw(st.sampled_from(children))
        if isinstance(target, dict):
            keys = sorted(target) + KEYS + ["tag", "attachment", "oneOf", "updated", "icon"]
            target[draw(st.sampled_from(keys))] = draw(values)
        else:
            target[draw(st.integers(0, len(target) - 1))] = draw(values)
    return doc


def fits(value: Any) -> None:
    """What parsing returns fits Porch's columns (server/models), however big the input."""
    if isinstance(value, incoming.NoteDoc):
        assert len(value.content_html) <= incoming.MAX_HTML and len(value.summary) <= 500
        assert all(len(tag) <= incoming.MAX_TAG for tag in value.hashtags)
        assert len(value.language or "") <= 16
        for media in value.attachments:
            assert len(media.media_type) <= 100 and len(media.description) <= 1500
            assert len(media.blurhash or "") <= 100
            assert all(
                n is None or 0 <= n <= incoming.MAX_COUNT for n in (media.width, media.height)
            )
        for title, votes in value.poll_options or []:
            assert len(title) <= 200 and 0 <= votes <= incoming.MAX_COUNT
        assert value.poll_voters is None or 0 <= value.poll_voters <= incoming.MAX_COUNT
    if isinstance(value, incoming.ActorDoc):
        assert len(value.username) <= 64 and len(value.public_pem) <= 4096
    for uri in (getattr(value, name, None) for name in ("id", "url", "in_reply_to", "inbox")):
        assert uri is None or len(uri) <= 2048


def parse_all(data: dict[str, Any]) -> None:
    """Everything incoming offers, on the document and whatever it embeds."""
    for reader in (incoming.activity, incoming.note_doc, incoming.actor_doc):
        for target in (data, data.get("object")):
            if isinstance(target, dict):
                with contextlib.suppress(Malformed):
                    fits(reader(target))


@settings(max_examples=200, deadline=None)
@given(documents())
def test_parsing_any_document_returns_a_value_or_raises_malformed(doc: dict[str, Any]) -> None:
    try:
        data = bodies.loads(json.dumps(doc).encode())
    except Malformed:
        return
    parse_all(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_loading_any_bytes_returns_an_object_or_raises_malformed(body: bytes) -> None:
    try:
        data = bodies.loads(body)
    except Malformed:
        return
    assert isinstance(data, dict)
    parse_all(data)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=documents() | mutated_fixtures(), as_zoe=st.booleans(), serial=st.uuids())
async def test_whatever_zoe_signs_the_inbox_never_answers_5xx(
    scene: Scene, doc: dict[str, Any], as_zoe: bool, serial: Any
) -> None:
    if as_zoe:
        # A well-formed envelope from the signer, so the handlers behind it run.
        doc.update({"@context": incoming.AS, "id": f"{ZOE}#activities/{serial}", "actor": ZOE})
    response = await scene.deliver(doc)
    assert response.status_code < 500, response.text
