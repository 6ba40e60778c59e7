"""Instance (v2 and v1), Rule and Preferences."""

from __future__ import annotations

from typing import Any

from server import __version__
from server.api.mastodon.entities.common import Site
from server.config import RegistrationMode, Settings
from server.services.instance import Rule, Usage
from server.services.norms import Norms

#: Apps feature-detect on the Mastodon version in front; Porch's own follows.
VERSION = f"4.5.0 (compatible; Porch {__version__})"
#: Mastodon's API version (api_versions.mastodon) whose endpoints Porch serves.
API_VERSION = 7  # 7: quote posts (Mastodon 4.5)
IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
#: The BlurHash of static/header.png, the instance's thumbnail (a plain warm colour).
THUMBNAIL_BLURHASH = "LCRCrK%MfQ%M~pj[fQj[fQfQfQfQ"


def rule(item: Rule) -> dict[str, Any]:
    return {"id": item.id, "text": item.text, "hint": item.hint}


def _statuses(found: Norms) -> dict[str, Any]:
    return {
        "max_characters": found["posts.max_chars"],
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }


def _media(settings: Settings) -> dict[str, Any]:
    return {
        "supported_mime_types": IMAGE_TYPES,
        "description_limit": 1500,
        "image_size_limit": settings.max_upload_bytes,
        "image_matrix_limit": 3840 * 2160,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


_POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2629746,
}


def instance_v2(
    settings: Settings,
    found: Norms,
    site: Site,
    usage: Usage,
    rules: list[Rule],
    contact: dict[str, Any] | None,
) -> dict[str, Any]:
    streaming = site.base.replace("https://", "wss://").replace("http://", "ws://")
    return {
        "domain": settings.domain,
        "title": settings.instance_name,
        "version": VERSION,
        "source_url": site.base,
        "description": found["about.description"],
        "usage": {"users": {"active_month": usage.active_month}},
        "thumbnail": {
            "url": site.static("header.png"),
            "blurhash": THUMBNAIL_BLURHASH,
            "versions": {},
        },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": streaming,
                "status": None,
                "about": site.base,
                "privacy_policy": None,
                "terms_of_service": None,
            },
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
            "statuses": _statuses(found),
            "media_attachments": _media(settings),
            "polls": _POLLS,
            "translation": {"enabled": False},
            "limited_federation": False,
        },
        "registrations": {
            "enabled": found.registration_mode is not RegistrationMode.closed,
            "approval_required": found.registration_mode is RegistrationMode.approval,
            "reason_required": found.registration_mode is RegistrationMode.approval,
            "message": None,
            "min_age": None,
            "url": None,
        },
        "api_versions": {"mastodon": API_VERSION},
        "contact": {"email": settings.contact_email, "account": contact},
        "rules": [rule(r) for r in rules],
    }


def instance_v1(
    settings: Settings,
    found: Norms,
    site: Site,
    usage: Usage,
    rules: list[Rule],
    contact: dict[str, Any] | None,
    domain_count: int,
) -> dict[str, Any]:
    streaming = site.base.replace("https://", "wss://").replace("http://", "ws://")
    return {
        "uri": settings.domain,
        "title": settings.instance_name,
        "short_description": found["about.description"],
        "description": found["about.description"],
        "email": settings.contact_email,
        "version": VERSION,
        "urls": {"streaming_api": streaming},
        "stats": {
            "user_count": usage.users,
            "status_count": usage.local_posts,
            "domain_count": domain_count,
        },
        "thumbnail": site.static("header.png"),
        "languages": ["en"],
        "registrations": found.registration_mode is not RegistrationMode.closed,
        "approval_required": found.registration_mode is RegistrationMode.approval,
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 0},
            "statuses": _statuses(found),
            "media_attachments": _media(settings),
            "polls": _POLLS,
        },
        "contact_account": contact,
        "rules": [rule(r) for r in rules],
    }


def preferences(privacy: str) -> dict[str, Any]:
    return {
        "posting:default:visibility": privacy,
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }
