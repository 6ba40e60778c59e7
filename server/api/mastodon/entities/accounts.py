"""Account, CredentialAccount and Relationship."""

from __future__ import annotations

from typing import Any

from server.api.mastodon.entities.common import Site, day, midnight
from server.models import Actor, Member
from server.services.content import plain_html
from server.services.relationships import Relationship
from server.services.stats import AccountStats

_BOTS = ("Service", "Application")


def account(actor: Actor, stats: AccountStats, site: Site) -> dict[str, Any]:
    """A person, local or remote, as apps show them."""
    return with_counts(account_base(actor, site), stats)


def account_key(actor: Actor) -> tuple[Any, ...]:
    """Everything `account_base` reads from the person: their rendered entity is kept
    under it, so any change to their profile makes a new key."""
    return (
        actor.id,
        actor.username,
        actor.domain,
        actor.display_name,
        actor.locked,
        actor.actor_type,
        actor.discoverable,
        actor.created_at,
        actor.bio,
        actor.uri,
        actor.url,
        actor.avatar_path,
        actor.avatar_url,
        actor.header_path,
        actor.header_url,
        tuple((f["name"], f["value"]) for f in actor.fields),
    )


def account_base(actor: Actor, site: Site) -> dict[str, Any]:
    """The Account without its counts: the same for every viewer, so it may be kept
    (under `account_key`) and the counts laid over it with `with_counts`."""
    if actor.domain is None:
        url, uri = site.urls.profile(actor.username), site.urls.actor(actor.username)
        avatar = site.media(actor.avatar_path) if actor.avatar_path else None
    else:
        uri = actor.uri or ""
        url = actor.url or uri
        avatar = actor.avatar_url
    # Apps crash on null images: Mastodon serves "missing" pictures instead.
    avatar = avatar or site.static("avatar.png")
    header = site.media(actor.header_path) if actor.header_path else actor.header_url
    header = header or site.static("header.png")
    return {
        "id": str(actor.id),
        "username": actor.username,
        "acct": actor.handle,
        "display_name": actor.display_name,
        "locked": actor.locked,
        "bot": actor.actor_type in _BOTS,
        "group": actor.actor_type == "Group",
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        "created_at": midnight(actor.created_at),
        "note": str(plain_html(actor.bio)) if actor.bio else "",
        "url": url,
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": None,
        "hide_collections": False,
        "emojis": [],
        "fields": [
            {"name": f["name"], "value": str(plain_html(f["value"])), "verified_at": None}
            for f in actor.fields
        ],
        "roles": [],
    }


def with_counts(base: dict[str, Any], stats: AccountStats) -> dict[str, Any]:
    """A new Account: `base` (left as it is) with the person's counts in place."""
    found = dict(base)  # updating existing keys keeps their order
    found["followers_count"] = stats.followers
    found["following_count"] = stats.following
    found["statuses_count"] = stats.statuses
    found["last_status_at"] = day(stats.last_status_at)
    return found


def credential_account(
    actor: Actor,
    member: Member,
    stats: AccountStats,
    site: Site,
    *,
    follow_requests: int,
    privacy: str,
) -> dict[str, Any]:
    """The signed-in member's own account, with what only they see (`source`)."""
    found = account(actor, stats, site)
    found["source"] = {
        "privacy": privacy,
        "sensitive": False,
        "language": "",
        "note": actor.bio,
        "fields": [{"name": f["name"], "value": f["value"]} for f in actor.fields],
        "follow_requests_count": follow_requests,
        "attribution_domains": [],
    }
    found["role"] = role(member)
    return found


#: Mastodon's Role for each of Porch's roles. A moderator's permissions are Mastodon's
#: manage_reports, manage_appeals and manage_users flags (16 | 512 | 1024); an admin's
#: is the administrator flag, which holds them all.
ROLES = {
    "member": {"id": "0", "name": "", "permissions": "0", "highlighted": False},
    "moderator": {"id": "2", "name": "Moderator", "permissions": "1552", "highlighted": True},
    "admin": {"id": "1", "name": "Admin", "permissions": "1", "highlighted": True},
}


def role(member: Member | None) -> dict[str, Any]:
    """The Role entity of a member's role (a member's for people elsewhere)."""
    found = ROLES[str(member.role) if member is not None else "member"]
    return {**found, "color": ""}


def relationship(found: Relationship) -> dict[str, Any]:
    return {
        "id": str(found.target_id),
        "following": found.following,
        "showing_reblogs": found.following,
        "notifying": False,
        "languages": [],
        "followed_by": found.followed_by,
        "blocking": found.blocking,
        "blocked_by": found.blocked_by,
        "muting": found.muting,
        "muting_notifications": found.muting_notifications,
        "requested": found.requested,
        "requested_by": found.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }
