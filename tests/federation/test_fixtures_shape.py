"""The Mastodon fixtures are whole, self-consistent documents, so tests built on them fail
for Porch's reasons rather than the fixtures' own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
AS = "https://www.w3.org/ns/activitystreams"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def nodes(value: Any, owner: str | None = None) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every JSON object in a document, with the actor it speaks for: its own actor,
    attributedTo or owner, else that of the object around it."""
    if isinstance(value, list):
        for item in value:
            yield from nodes(item, owner)
    elif isinstance(value, dict):
        own = value.get("actor") or value.get("attributedTo") or value.get("owner")
        owner = own if isinstance(own, str) else owner
        yield value, owner
        for item in value.values():
            yield from nodes(item, owner)


def test_every_expected_shape_is_there() -> None:
    assert len(NAMES) == 28, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_is_a_whole_document_in_the_activitystreams_context(name: str) -> None:
    document = load(name)
    context = document["@context"]
    assert context == AS or (isinstance(context, list) and context[0] == AS)
    inner = [node for node, _ in nodes(document) if node is not document]
    assert not any("@context" in node for node in inner), "Mastodon sends one @context only"
    assert isinstance(document["id"], str) and document["type"]


@pytest.mark.parametrize("name", NAMES)
def test_every_id_is_on_the_server_of_the_actor_it_belongs_to(name: str) -> None:
    document = load(name)
    assert urlsplit(document["id"]).hostname == "mastodon.test"
    assert urlsplit(document.get("actor", document["id"])).hostname == "mastodon.test"
    for node, owner in nodes(document):
        if "id" in node:
            expected = urlsplit(owner).hostname if owner else "mastodon.test"
            assert urlsplit(node["id"]).hostname == expected, node["id"]


def test_ids_are_unique_except_where_one_document_refers_to_another() -> None:
    documents = {name: load(name) for name in NAMES}
    tops = [document["id"] for document in documents.values()]
    assert len(tops) == len(set(tops))
    # An object seen in two files must be the same object (an Undo embeds its original,
    # Accept and Reject the same Follow), unless the file is an Update (a new version of
    # it) or the object is the Tombstone a Delete leaves.
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, document in documents.items():
        seen[document["id"]] = (name, {k: v for k, v in document.items() if k != "@context"})
    for name, document in documents.items():
        if document["type"] == "Update":
            continue
        for node, _ in nodes(document):
            if "id" not in node or node is document or node.get("type") == "Tombstone":
                continue
            first_name, first = seen.setdefault(node["id"], (name, node))
            assert first_name == name or node == first, (
                f"{name} changes {first_name}'s {node['id']}"
            )


def test_zoes_key_is_a_placeholder_for_tests_to_fill() -> None:
    for name in ("actor_zoe", "update_person"):
        document = load(name)
        actor = document.get("object", document)
        assert actor["publicKey"] == {
            "id": "https://mastodon.test/users/zoe#main-key",
            "owner": "https://mastodon.test/users/zoe",
            "publicKeyPem": "PUBLIC_KEY_PEM",
        }
