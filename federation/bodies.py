"""Reading the JSON body another server sent: one object, depth-capped, text cleaned."""

from __future__ import annotations

import json
from typing import Any

from federation.incoming import AS, Malformed
from server.text import clean as text_clean

MAX_DEPTH = 16


def loads(body: bytes) -> dict[str, Any]:
    """Parse JSON from another server (an inbox body, a fetched document): an object,
    nested at most MAX_DEPTH levels, its text cleaned as `clean` says."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Malformed("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Malformed("The body must be a JSON object.")
    cleaned: dict[str, Any] = _cleaned(data, 0)
    return cleaned


def _cleaned(value: Any, level: int) -> Any:
    """`clean`, refusing nesting past MAX_DEPTH on the way: one walk of the body, not two."""
    if level > MAX_DEPTH:
        raise Malformed(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, list):
        return [_cleaned(item, level + 1) for item in value]
    if isinstance(value, dict):
        return {text_clean(key): _cleaned(item, level + 1) for key, item in value.items()}
    return value


def clean(value: Any) -> Any:
    """`value` with every string, keys included and at any depth, cleaned by
    `server.text.clean`: no NUL or other control character, no lone surrogate."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    return value


def has_as2_context(data: dict[str, Any]) -> bool:
    context = data.get("@context")
    values = context if isinstance(context, list) else [context]
    return AS in values or "https://www.w3.org/ns/activitystreams#" in values
