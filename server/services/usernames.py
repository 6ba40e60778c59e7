"""Username rules: what a local member may be called."""

from __future__ import annotations

import re

from server.services.errors import Invalid

MAX_LENGTH = 30
_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")

#: Names that would collide with routes, impersonate staff, or confuse other servers.
RESERVED = frozenset(
    [
        "about",
        "abuse",
        "account",
        "accounts",
        "activity",
        "actor",
        "admin",
        "administrator",
        "admins",
        "api",
        "apps",
        "auth",
        "blog",
        "contact",
        "dev",
        "developer",
        "drafts",
        "explore",
        "feed",
        "follow",
        "followers",
        "following",
        "help",
        "home",
        "inbox",
        "info",
        "instance",
        "localhost",
        "login",
        "logout",
        "mail",
        "media",
        "moderator",
        "mod",
        "mods",
        "nodeinfo",
        "noreply",
        "no_reply",
        "notifications",
        "oauth",
        "official",
        "outbox",
        "porch",
        "postmaster",
        "privacy",
        "public",
        "register",
        "root",
        "rules",
        "search",
        "security",
        "settings",
        "setup",
        "signin",
        "signout",
        "signup",
        "staff",
        "static",
        "status",
        "statuses",
        "support",
        "system",
        "tags",
        "terms",
        "test",
        "timeline",
        "users",
        "webmaster",
        "well_known",
        "www",
    ]
)


def normalise(username: str) -> str:
    """The key that uniqueness is checked on: usernames are case-insensitive."""
    return username.strip().lower()


def validate(username: str) -> str:
    """Return the username as it will be stored, or raise Invalid saying what to change."""
    username = username.strip().lstrip("@")
    if not username:
        raise Invalid("Choose a username.", field="username")
    if len(username) > MAX_LENGTH:
        raise Invalid(f"Usernames are at most {MAX_LENGTH} characters.", field="username")
    if not _PATTERN.match(username):
        raise Invalid("Usernames may use only letters, numbers and underscores.", field="username")
    if normalise(username) in RESERVED:
        raise Invalid(f"The name “{username}” is reserved; choose another.", field="username")
    return username
