"""ActivityPub collections Porch serves: followers, following, outbox, replies."""

from __future__ import annotations

from typing import Any

from federation.outgoing import document


def ordered_collection(collection_id: str, total: int, first: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first is not None:
        body["first"] = first
    return document(body)


def collection_page(
    page_id: str, collection_id: str, items: list[Any], next_id: str | None, total: int
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": page_id,
        "type": "OrderedCollectionPage",
        "totalItems": total,
        "partOf": collection_id,
        "orderedItems": items,
    }
    if next_id is not None:
        body["next"] = next_id
    return document(body)
