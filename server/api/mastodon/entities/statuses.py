"""Status, its parts (mentions, tags, media, poll), Context, StatusEdit and StatusSource."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

from server.api.mastodon.entities.common import Site, timestamp
from server.models import Actor, Attachment, Poll, Post, PostEdit, Visibility
from server.services.content import labels_html
from server.services.post_reads import Details
from server.services.post_views import PostView

#: Porch's visibilities under Mastodon's names.
VISIBILITY = {
    Visibility.public: "public",
    Visibility.unlisted: "unlisted",
    Visibility.followers: "private",
    Visibility.direct: "direct",
}
FROM_MASTODON = {name: ours for ours, name in VISIBILITY.items()}


@dataclass
class Figures:
    """Everything a page of statuses needs besides the posts, read in batches beforehand."""

    site: Site
    details: dict[int, Details] = field(default_factory=dict)
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    bookmarked: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)
    #: Kept `status_base`s by post id, for the posts whose base was found in the cache.
    bases: dict[int, dict[str, Any]] = field(default_factory=dict)


def media_type_name(mime: str) -> str:
    kind = mime.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(kind, "unknown")


def media_attachment(item: Attachment, site: Site) -> dict[str, Any]:
    """A MediaAttachment: an upload of a member's, or a remote post's linked file."""
    local = item.file_name is not None
    mime = item.media_type or (mimetypes.guess_type(item.url)[0] or "")
    url = site.media(item.file_name) if item.file_name else item.url
    preview = site.media(item.preview_name) if item.preview_name else url
    meta: dict[str, Any] = {"focus": {"x": item.focus_x, "y": item.focus_y}}
    if item.width and item.height:
        meta["original"] = _size(item.width, item.height)
    if item.preview_width and item.preview_height:
        meta["small"] = _size(item.preview_width, item.preview_height)
    return {
        "id": str(item.id),
        "type": media_type_name(mime),
        "url": url,
        "preview_url": preview,
        "remote_url": None if local else item.url,
        "preview_remote_url": None,
        "meta": meta,
        "description": item.description or None,
        "blurhash": item.blurhash,
    }


def _size(width: int, height: int) -> dict[str, Any]:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6) if height else 0,
    }


def _votes(option: dict[str, object]) -> int:
    """An option's tally as its server sent it (stored JSON: a number, or nothing)."""
    value = option.get("votes")
    return int(value) if isinstance(value, int | float | str) and value else 0


def poll(item: Poll, post_id: int, now_iso: str | None) -> dict[str, Any]:
    """Polls on remote posts, shown read-only with their last known tallies."""
    votes = sum(_votes(option) for option in item.options)
    closes = timestamp(item.closes_at)
    return {
        "id": str(post_id),
        "expires_at": closes,
        "expired": bool(closes and now_iso and closes <= now_iso),
        "multiple": item.multiple,
        "votes_count": votes,
        "voters_count": item.voters_count,
        "options": [
            {"title": str(o.get("title", "")), "votes_count": o.get("votes")} for o in item.options
        ],
        "emojis": [],
        "voted": False,
        "own_votes": [],
    }


def _mention(actor: Actor, site: Site) -> dict[str, Any]:
    url = site.urls.profile(actor.username) if actor.domain is None else actor.url or actor.uri
    return {"id": str(actor.id), "username": actor.username, "url": url, "acct": actor.handle}


def status_key(post: Post) -> tuple[Any, ...]:
    """What `status_base` is kept under: every edit bumps the version; the few columns
    that change without an edit (publishing, a late parent) are named too."""
    return (post.id, post.version, post.state, post.visibility, post.in_reply_to_id)


def status_base(post: Post, author: Actor, details: Details, site: Site) -> dict[str, Any]:
    """The Status without anything that changes between requests or viewers: no account,
    counts, media, poll, boost or viewer's marks (`status` lays those over it). The same
    for everyone who may see the post, so it may be kept under `status_key`."""
    if author.domain is None:
        uri = site.urls.post(author.username, post.id)
        url = site.urls.post_page(author.username, post.id)
    else:
        uri = post.uri or ""
        url = post.url or uri
    parent = details.parent
    return {
        "id": str(post.id),
        "uri": uri,
        "url": url,
        # While the pause runs this is the moment the post will go out.
        "created_at": timestamp(post.published_at or post.publish_at),
        "edited_at": timestamp(post.edited_at),
        "account": None,
        "content": labels_html(post.intent, post.tone_indicator) + post.content_html,
        "visibility": VISIBILITY[post.visibility],
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "media_attachments": [],
        "mentions": [_mention(a, site) for a in details.mentions],
        "tags": [{"name": t, "url": site.urls.tag(t)} for t in details.tags],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "quotes_count": 0,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": str(parent[1].id) if parent else None,
        "reblog": None,
        "quote": None,
        "poll": None,
        "card": None,
        "language": post.language,
        "text": None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
    }


def status(view: PostView, figures: Figures, now_iso: str | None = None) -> dict[str, Any]:
    """A Status; a boost carries the boosted post in `reblog`."""
    post, site = view.post, figures.site
    base = figures.bases.get(post.id)
    if base is None:
        details = figures.details.get(post.id) or Details([], [], [], None)
        base = status_base(post, view.author, details, site)
    found = dict(base)  # a new dict: the kept base is never changed; keys keep their order
    found["account"] = figures.accounts[post.actor_id]
    found["media_attachments"] = [media_attachment(m, site) for m in view.media]
    found["reblogs_count"] = view.boosts
    found["favourites_count"] = view.likes
    found["replies_count"] = view.replies
    found["reblog"] = status(view.reblog, figures, now_iso) if view.reblog else None
    found["poll"] = poll(view.poll, post.id, now_iso) if view.poll else None
    found["favourited"] = view.liked
    found["reblogged"] = view.boosted
    found["bookmarked"] = post.id in figures.bookmarked
    found["muted"] = post.id in figures.muted
    return found


def source(post: Post) -> dict[str, Any]:
    """StatusSource: what the author typed, for editing."""
    return {"id": str(post.id), "text": post.text, "spoiler_text": post.spoiler_text}


def edit(
    version: PostEdit | Post, account: dict[str, Any], media: list[dict[str, Any]]
) -> dict[str, Any]:
    """StatusEdit: one version of a post in its history."""
    when = (
        version.created_at
        if isinstance(version, PostEdit)
        else (version.edited_at or version.published_at or version.publish_at)
    )
    return {
        "content": version.content_html,
        "spoiler_text": version.spoiler_text,
        "sensitive": bool(version.spoiler_text),
        "created_at": timestamp(when),
        "account": account,
        "media_attachments": media,
        "emojis": [],
    }
