"""Outgoing: domain values into the ActivityStreams documents Porch sends and serves.

Converters are named by direction, `<document>_from_<domain value>` (`note_from_post`);
the other direction lives in federation/incoming.py. Shapes follow what Mastodon emits
(app/serializers/activitypub/*), since that is what every other server is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation import policy_docs
from federation.quote_vocab import QUOTE_CONTEXT
from server.models import Actor, Attachment, Post, Visibility
from server.services.content import labels_html
from server.services.interaction_policies import Policy
from server.services.quotes import fallback_html as quote_inline
from server.urls import PUBLIC, Urls

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"

#: Porch's own terms: what a post is looking for, and how a reply is meant. Other software
#: shows the same as lines of text at the top of the content (content.labels_html).
PORCH_INTENT = "urn:x-porch:intent"
PORCH_TONE_INDICATOR = "urn:x-porch:toneIndicator"

# One context for every document, the union of what Mastodon's serializers emit. Keeping
# `schema: http://schema.org#` (the wrong IRI) is deliberate: Mastodon compacts with it.
CONTEXT: list[Any] = [
    AS,
    SECURITY,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "suspended": "toot:suspended",
        "memorial": "toot:memorial",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "votersCount": "toot:votersCount",
        "Emoji": "toot:Emoji",
        "porchIntent": PORCH_INTENT,
        "porchToneIndicator": PORCH_TONE_INDICATOR,
        **policy_docs.CONTEXT_TERMS,
        **QUOTE_CONTEXT,
    },
]


def iso(moment: datetime) -> str:
    """Timestamps as Mastodon writes them: UTC, seconds, a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def document(body: dict[str, Any]) -> dict[str, Any]:
    """A top-level document: the context first, as JSON-LD readers expect."""
    return {"@context": CONTEXT, **body}


def person_from_member(
    urls: Urls,
    actor: Actor,
    public_pem: str,
    *,
    summary_html: str,
    avatar: tuple[str, str] | None,
    header: tuple[str, str] | None = None,
    fields: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A member's Person document with every field Mastodon reads.

    `avatar` and `header` are (url, media type) when the member has them; `fields` are
    (name, value HTML) pairs, sent as Mastodon's PropertyValue attachments.
    """
    name = actor.username
    body: dict[str, Any] = {
        "id": urls.actor(name),
        "type": "Person",
        "following": urls.following(name),
        "followers": urls.followers(name),
        "inbox": urls.inbox(name),
        "outbox": urls.outbox(name),
        "featured": urls.featured(name),
        "featuredTags": urls.actor(name) + "/collections/tags",
        "preferredUsername": name,
        "name": actor.display_name or name,
        "summary": summary_html,
        "url": urls.profile(name),
        "manuallyApprovesFollowers": actor.locked,
        "discoverable": actor.discoverable,
        "indexable": actor.discoverable,
        # Mastodon publishes the signup date at midnight.
        "published": actor.created_at.strftime("%Y-%m-%dT00:00:00Z"),
        "memorial": False,
        "publicKey": {
            "id": urls.key_id(name),
            "owner": urls.actor(name),
            "publicKeyPem": public_pem,
        },
        "tag": [],
        "attachment": [
            {"type": "PropertyValue", "name": name, "value": value} for name, value in fields or []
        ],
        "endpoints": {"sharedInbox": urls.shared_inbox()},
    }
    if avatar is not None:
        body["icon"] = {"type": "Image", "mediaType": avatar[1], "url": avatar[0]}
    if header is not None:
        body["image"] = {"type": "Image", "mediaType": header[1], "url": header[0]}
    return document(body)


def application_from_instance(urls: Urls, public_pem: str) -> dict[str, Any]:
    """The instance's Application actor (Mastodon's /actor), used to sign fetches."""
    actor_id = urls.instance_actor()
    return document(
        {
            "id": actor_id,
            "type": "Application",
            "preferredUsername": urls.host,
            "inbox": actor_id + "/inbox",
            "outbox": actor_id + "/outbox",
            "url": urls.base + "/about",
            "manuallyApprovesFollowers": True,
            "publicKey": {
                "id": urls.instance_key_id(),
                "owner": actor_id,
                "publicKeyPem": public_pem,
            },
            "endpoints": {"sharedInbox": urls.shared_inbox()},
        }
    )


@dataclass
class NoteSource:
    """Everything a Note is built from, loaded by federation/objects.py."""

    post: Post
    author: Actor
    mentions: list[Actor] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    #: The post's interaction policy, capped by its visibility (None: not published).
    policy: Policy | None = None
    #: The quoted post's id, its page, and the authorization once approved.
    quote: tuple[str, str, str | None] | None = None


def addressing(urls: Urls, source: NoteSource) -> tuple[list[str], list[str]]:
    """to and cc for a post's visibility, exactly as Mastodon maps them."""
    followers = urls.followers(source.author.username)
    mentioned = [urls.of_actor(a) for a in source.mentions]
    match source.post.visibility:
        case Visibility.public:
            return [PUBLIC], [followers, *mentioned]
        case Visibility.unlisted:
            return [followers], [PUBLIC, *mentioned]
        case Visibility.followers:
            return [followers], mentioned
        case _:
            return mentioned, []


def note_from_post(urls: Urls, source: NoteSource) -> dict[str, Any]:
    """The Note for a published post (without @context; see `document`)."""
    post, author = source.post, source.author
    note_id = urls.of_post(post, author)
    to, cc = addressing(urls, source)
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": urls.of_actor(a), "name": "@" + _acct(urls, a)}
        for a in source.mentions
    ]
    tags += [{"type": "Hashtag", "href": urls.tag(t), "name": "#" + t} for t in source.tags]
    body: dict[str, Any] = {
        "id": note_id,
        "type": "Note",
        "summary": post.spoiler_text or None,
        "inReplyTo": source.in_reply_to,
        "published": iso(post.published_at or post.publish_at),
        "url": urls.post_page(author.username, post.id),
        "attributedTo": urls.of_actor(author),
        "to": to,
        "cc": cc,
        "sensitive": bool(post.spoiler_text) or post.sensitive,
        "content": labels_html(post.intent, post.tone_indicator)
        + _quoted(source)
        + post.content_html,
        "attachment": [_attachment(urls, a) for a in source.attachments],
        "tag": tags,
        **({"porchIntent": post.intent} if post.intent else {}),
        **({"porchToneIndicator": post.tone_indicator} if post.tone_indicator else {}),
        **({"interactionPolicy": _policy(urls, source)} if source.policy else {}),
        # An empty first page embedded: without it Mastodon fetches `replies` for every
        # Create it receives (mastodon#31921).
        "replies": {
            "id": note_id + "/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": note_id + "/replies?page=true",
                "partOf": note_id + "/replies",
                "items": [],
            },
        },
    }
    if source.quote is not None:
        uri, _, authorization = source.quote
        body.update(quote=uri, _misskey_quote=uri, quoteUri=uri, quoteUrl=uri)
        if authorization:
            body["quoteAuthorization"] = authorization
    if post.language:
        body["contentMap"] = {post.language: post.content_html}
    edited, published = post.edited_at, post.published_at
    if edited is not None and published is not None and edited > published:
        body["updated"] = iso(edited)
    return body


def _policy(urls: Urls, source: NoteSource) -> dict[str, Any]:
    assert source.policy is not None
    author = source.author.username
    return policy_docs.interaction_policy(
        source.policy,
        urls.of_actor(source.author),
        urls.followers(author),
        urls.following(author),
        [urls.of_actor(a) for a in source.mentions],
    )


def _quoted(source: NoteSource) -> str:
    """Mastodon's "RE:" line for software that shows no quotes; not stored with the post,
    so Porch's own pages do not show it next to the quote."""
    return quote_inline(source.quote[1]) if source.quote is not None else ""


def _acct(urls: Urls, actor: Actor) -> str:
    domain = actor.domain or urls.host
    return f"{actor.username}@{domain}"


def _attachment(urls: Urls, item: Attachment) -> dict[str, Any]:
    """A Document as Mastodon sends it; a member's upload is served from media/."""
    local = item.file_name is not None
    body: dict[str, Any] = {
        "type": "Document",
        "mediaType": item.media_type,
        "url": f"{urls.base}/media/{item.file_name}" if local else item.url,
        "name": item.description or None,
    }
    if local:
        body["focalPoint"] = [item.focus_x, item.focus_y]
    if item.blurhash:
        body["blurhash"] = item.blurhash
    if item.width and item.height:
        body["width"], body["height"] = item.width, item.height
    return body


def tombstone(object_id: str) -> dict[str, Any]:
    """What a deleted local object's id answers."""
    return document({"id": object_id, "type": "Tombstone"})


def create_from_post(urls: Urls, source: NoteSource) -> dict[str, Any]:
    """Create(Note) with the same addressing as the note, as Mastodon sends it."""
    obj = note_from_post(urls, source)
    return document(
        {
            "id": obj["id"] + "/activity",
            "type": "Create",
            "actor": obj["attributedTo"],
            "published": obj["published"],
            "to": obj["to"],
            "cc": obj["cc"],
            "object": obj,
        }
    )


def update_from_post(
    urls: Urls, source: NoteSource, edited_at: datetime, token: str
) -> dict[str, Any]:
    """Update(Note) for an edit; `token` is the edit's own, as two edits can share a second."""
    obj = note_from_post(urls, source)
    obj["updated"] = iso(edited_at)
    return document(
        {
            "id": f"{obj['id']}#updates/{token}",
            "type": "Update",
            "actor": obj["attributedTo"],
            "published": obj["updated"],
            "to": obj["to"],
            "cc": obj["cc"],
            "object": obj,
        }
    )


def delete_from_post(actor_id: str, note_id: str, to: list[str], cc: list[str]) -> dict[str, Any]:
    """Delete(Tombstone) of a post: a post is deleted once, so its id is its own."""
    return document(
        {
            "id": note_id + "#delete",
            "type": "Delete",
            "actor": actor_id,
            "to": to,
            "cc": cc,
            "object": {"id": note_id, "type": "Tombstone", "atomUri": note_id},
        }
    )


def announce_from_boost(
    activity_id: str, actor_id: str, followers: str, note_id: str, author_id: str, at: datetime
) -> dict[str, Any]:
    """Announce of a post; `activity_id` comes from the boost, a post with its own id."""
    return document(
        {
            "id": activity_id,
            "type": "Announce",
            "actor": actor_id,
            "published": iso(at),
            "to": [PUBLIC],
            "cc": [author_id, followers],
            "object": note_id,
        }
    )


def simple(activity_id: str, kind: str, actor_id: str, obj: Any, **extra: Any) -> dict[str, Any]:
    """Follow, Like, Block and the like: {id, type, actor, object}."""
    return document({"id": activity_id, "type": kind, "actor": actor_id, "object": obj, **extra})


def embedded(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity as the object of another (Undo, Accept): without its @context."""
    return {k: v for k, v in activity.items() if k != "@context"}


def undo(activity: dict[str, Any], actor_id: str) -> dict[str, Any]:
    """Undo of an activity Porch sent, naming it by its id. Each activity is undone at
    most once (the row it stood for is gone after), so the Undo's id is its own too."""
    return simple(activity["id"] + "/undo", "Undo", actor_id, embedded(activity))


def update_from_person(actor_doc: dict[str, Any], followers: str, token: str) -> dict[str, Any]:
    """Update(Person): the object id equals the actor, as Mastodon requires; `token` is
    this update's own."""
    return document(
        {
            "id": f"{actor_doc['id']}#updates/{token}",
            "type": "Update",
            "actor": actor_doc["id"],
            "to": [PUBLIC],
            "cc": [followers],
            "object": embedded(actor_doc),
        }
    )


def flag_from_report(
    activity_id: str, instance_actor: str, objects: list[str], comment: str
) -> dict[str, Any]:
    """Flag of an account and its posts (`objects`, the account first), as Mastodon's
    ActivityPub::FlagSerializer sends it: from the instance actor, the comment as content."""
    return document(
        {
            "id": activity_id,
            "type": "Flag",
            "actor": instance_actor,
            "content": comment,
            "object": objects,
        }
    )
