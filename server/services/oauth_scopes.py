"""OAuth scopes: the names Porch understands and which scope grants which, as Mastodon's.

Apps ask for the same scope names and hierarchy as on Mastodon, so its apps work
unchanged: "read" grants every "read:…" scope, and the legacy "follow" scope stands for
the blocks, follows and mutes scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.services.errors import Invalid

_GRANULAR = {
    "read": (
        "accounts blocks bookmarks favourites filters follows lists mutes notifications "
        "search statuses"
    ),
    "write": (
        "accounts blocks bookmarks conversations favourites filters follows lists media "
        "mutes notifications reports statuses"
    ),
}
#: The admin API's scopes, as Mastodon names them (only moderators and admins may use them).
ADMIN_SCOPES = (
    "admin:read",
    "admin:write",
    "admin:read:reports",
    "admin:read:accounts",
    "admin:write:reports",
    "admin:write:accounts",
)
#: Every scope Porch understands; apps asking for others are refused, as Mastodon does.
KNOWN_SCOPES = frozenset(
    ["read", "write", "follow", "push", "profile", *ADMIN_SCOPES]
    + [f"{top}:{part}" for top, parts in _GRANULAR.items() for part in parts.split()]
)
#: The legacy "follow" scope stands for these.
_FOLLOW = frozenset(
    ["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"]
)


def parse_scopes(text: str | None, *, default: str = "read") -> frozenset[str]:
    """Scopes from a space- or plus-separated string; unknown names are refused."""
    names = frozenset((text or default).replace("+", " ").split())
    unknown = sorted(names - KNOWN_SCOPES)
    if unknown:
        raise Invalid(f"Unknown scope: {', '.join(unknown)}.", field="scope")
    return names or frozenset([default])


def grants(scopes: Iterable[str], required: str) -> bool:
    """Whether a token with `scopes` may do what needs `required` (e.g. "read:statuses")."""
    held = set(scopes)
    if required in held:
        return True
    # Each shorter prefix grants: "read" grants "read:statuses", "admin:read" grants
    # "admin:read:reports" (but "read" never grants an admin scope: "admin" is no scope).
    parts = required.split(":")
    if any(":".join(parts[:n]) in held for n in range(1, len(parts))):
        return True
    return "follow" in held and required in _FOLLOW
