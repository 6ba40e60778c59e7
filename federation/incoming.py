"""Incoming: what other servers send, read into typed documents and domain values.

Remote JSON is loose (a value may be a string, an object or a list of either), so
every read goes through the small helpers here and ends in a dataclass; nothing past
this module touches raw dicts. Converters into domain values are named by direction,
`<domain value>_from_<document>` (`post_from_note`); the other direction lives in
federation/outgoing.py, and bodies are parsed by federation/bodies.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from federation.html import plain_text, sanitize_remote_html
from federation.malformed import Malformed as Malformed
from federation.policy_docs import Lists, policy_doc
from server.models import Visibility
from server.services.content import labels_html
from server.services.interaction_policies import Policy
from server.services.remote_actors import RemoteProfile
from server.services.remote_posts import RemoteMedia, RemotePoll, RemotePost
from server.urls import PUBLIC_ALIASES

AS = "https://www.w3.org/ns/activitystreams"
#: What the posts table holds of a post's HTML, and of a hashtag (server/models/posts.py).
MAX_HTML = 200_000
MAX_TAG = 100
#: Counts and sizes past this fit no INTEGER column; they are nonsense anyway.
MAX_COUNT = 2**31 - 1
ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
NOTE_TYPES = frozenset({"Note", "Question", "Article", "Page", "Image", "Video", "Audio", "Event"})


def text(value: Any, limit: int = 10_000) -> str:
    """A string field, or "" (control characters removed, length capped)."""
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if c >= " " or c in "\n\t")[:limit]


def ref(value: Any) -> str | None:
    """An id given as a string, or as an object with an id (or a Link's href)."""
    if isinstance(value, str):
        return value if _is_url(value) else None
    if isinstance(value, dict):
        return ref(value.get("id") or value.get("href"))
    if isinstance(value, list) and value:
        return ref(value[0])
    return None


def refs(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items[:500]:
        found = item if isinstance(item, str) and item in PUBLIC_ALIASES else ref(item)
        if found:
            out.append(found)
    return out


def objects(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items[:100] if isinstance(item, dict)]


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and len(value) <= 2048


def host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    actor: str
    object_ref: str | None
    object: dict[str, Any] | None  # the object when embedded
    to: list[str]
    cc: list[str]
    raw: dict[str, Any]


def kind_of(data: dict[str, Any]) -> str | None:
    """The `type`: a string, or the first string of a list (JSON-LD allows several)."""
    kind = data.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), None)
    return kind if isinstance(kind, str) else None


def activity(data: dict[str, Any]) -> Activity:
    """The envelope every activity shares; Malformed without id, type or actor."""
    kind = kind_of(data)
    activity_id, actor = ref(data.get("id")), ref(data.get("actor"))
    if not isinstance(kind, str) or not activity_id or not actor:
        raise Malformed("An activity needs an id, a type and an actor.")
    obj = data.get("object")
    return Activity(
        id=activity_id,
        type=kind,
        actor=actor,
        object_ref=ref(obj),
        object=obj if isinstance(obj, dict) else None,
        to=refs(data.get("to")),
        cc=refs(data.get("cc")),
        raw=data,
    )


@dataclass(frozen=True)
class ActorDoc:
    id: str
    type: str
    username: str
    name: str
    bio: str
    url: str | None
    inbox: str
    shared_inbox: str | None
    followers: str | None
    icon: str | None
    image: str | None
    locked: bool
    discoverable: bool
    key_id: str
    public_pem: str


def actor_doc(data: dict[str, Any]) -> ActorDoc:
    """An actor document as Mastodon validates it (type, preferredUsername, inbox, key)."""
    kind = kind_of(data)
    actor_id, inbox = ref(data.get("id")), ref(data.get("inbox"))
    username = text(data.get("preferredUsername"), 64).strip()
    if kind not in ACTOR_TYPES or not actor_id or not inbox or not username:
        raise Malformed("Not an actor: it needs a type, an id, preferredUsername and an inbox.")
    key = data.get("publicKey")
    key = key[0] if isinstance(key, list) and key else key
    if not isinstance(key, dict) or not ref(key.get("id")) or not text(key.get("publicKeyPem")):
        raise Malformed("The actor has no publicKey.")
    url = ref(data.get("url"))
    endpoints = data.get("endpoints") if isinstance(data.get("endpoints"), dict) else {}
    return ActorDoc(
        id=actor_id,
        type=str(kind),
        username=username,
        name=" ".join(text(data.get("name"), 300).split()),
        bio=plain_text(sanitize_remote_html(text(data.get("summary"), 20_000))),
        # Mastodon ignores a profile URL on another host than the actor.
        url=url if url and host(url) == host(actor_id) else None,
        inbox=inbox,
        shared_inbox=ref(endpoints.get("sharedInbox")) if endpoints else None,
        followers=ref(data.get("followers")),
        icon=ref(_image_url(data.get("icon"))),
        image=ref(_image_url(data.get("image"))),
        locked=data.get("manuallyApprovesFollowers") is True,
        discoverable=data.get("discoverable") is not False,
        key_id=str(ref(key.get("id"))),
        public_pem=text(key.get("publicKeyPem"), 4096),
    )


def _image_url(value: Any) -> Any:
    value = value[0] if isinstance(value, list) and value else value
    return value.get("url") if isinstance(value, dict) else value


@dataclass(frozen=True)
class MediaDoc:
    url: str
    media_type: str
    description: str
    blurhash: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class NoteDoc:
    id: str
    type: str
    attributed_to: str
    content_html: str  # sanitised
    summary: str
    sensitive: bool
    in_reply_to: str | None
    published: datetime | None
    updated: datetime | None
    url: str | None
    to: list[str]
    cc: list[str]
    mentions: list[str]  # actor ids (or profile URLs) from Mention tags
    mention_names: list[str]
    hashtags: list[str]  # lower-cased, without '#'
    attachments: list[MediaDoc] = field(default_factory=list)
    language: str | None = None
    poll_options: list[tuple[str, int]] | None = None
    poll_multiple: bool = False
    poll_closes: datetime | None = None
    poll_voters: int | None = None
    #: Porch's extension terms, from other Porch servers.
    intent: str | None = None
    tone_indicator: str | None = None
    interaction_policy: dict[str, Lists] | None = None  # federation/policy_docs.py


def note_doc(data: dict[str, Any]) -> NoteDoc:
    """A Note (or a type shown as one); Malformed without id or attributedTo."""
    kind, note_id, author = kind_of(data), ref(data.get("id")), ref(data.get("attributedTo"))
    if kind not in NOTE_TYPES or not note_id or not author:
        raise Malformed("Not a post: it needs a type, an id and attributedTo.")
    content = text(data.get("content"), 100_000)
    content_map = data.get("contentMap")
    language = None
    if isinstance(content_map, dict) and content_map:
        language, first = next(iter(content_map.items()))
        content = content or text(first, 100_000)
        language = text(language, 16) or None
    if kind in ("Article", "Page", "Event") and data.get("name"):
        # Mastodon shows converted types as their title and a link.
        content = f"<p><strong>{_escape(text(data.get('name'), 500))}</strong></p>" + content
    mentions, names, tags = [], [], []
    for tag in objects(data.get("tag")):
        if tag.get("type") == "Mention":
            if href := ref(tag.get("href")):
                mentions.append(href)
            names.append(text(tag.get("name"), 320))
        elif tag.get("type") == "Hashtag":
            name = text(tag.get("name"), MAX_TAG + 2).lstrip("#").lower()
            if name and len(name) <= MAX_TAG and name.replace("_", "").isalnum():
                tags.append(name)
    options = None
    if kind == "Question":
        choices = data.get("oneOf") or data.get("anyOf")
        options = [(text(o.get("name"), 200), _count(o.get("replies"))) for o in objects(choices)][
            :20
        ]
    summary = " ".join(text(data.get("summary"), 500).split())
    intent = " ".join(text(data.get("porchIntent"), 100).split()) or None
    tone_indicator = " ".join(text(data.get("porchToneIndicator"), 50).split()) or None
    # Another Porch put them in the content for everyone else: shown once, from the terms.
    content = content.removeprefix(labels_html(intent, tone_indicator))
    html = sanitize_remote_html(content)
    if len(html) > MAX_HTML:
        # Sanitising adds rel and target to every link, so 100,000 characters of links
        # come out longer than the posts table keeps.
        raise Malformed("The post is too long to keep.")
    return NoteDoc(
        id=note_id,
        type=str(kind),
        attributed_to=author,
        content_html=html,
        summary=summary,
        sensitive=data.get("sensitive") is True or bool(summary),
        in_reply_to=ref(data.get("inReplyTo")),
        published=timestamp(data.get("published")),
        updated=timestamp(data.get("updated")),
        url=ref(data.get("url")),
        to=refs(data.get("to")),
        cc=refs(data.get("cc")),
        mentions=mentions,
        mention_names=names,
        hashtags=sorted(set(tags))[:30],
        attachments=[m for m in (_media(a) for a in objects(data.get("attachment"))[:4]) if m],
        language=language,
        poll_options=options,
        poll_multiple=bool(data.get("anyOf")),
        poll_closes=timestamp(data.get("endTime") or data.get("closed")),
        poll_voters=_number(data.get("votersCount")),
        intent=intent,
        tone_indicator=tone_indicator,
        interaction_policy=policy_doc(data.get("interactionPolicy")),
    )


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _count(replies: Any) -> int:
    return (_number(replies.get("totalItems")) if isinstance(replies, dict) else None) or 0


def _number(value: Any) -> int | None:
    """A count or size: a whole number from 0 to MAX_COUNT (JSON true is not 1)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return None


def _media(data: dict[str, Any]) -> MediaDoc | None:
    url = ref(_image_url(data.get("url")) or data.get("href"))
    if not url:
        return None
    width, height = data.get("width"), data.get("height")
    return MediaDoc(
        url=url,
        media_type=text(data.get("mediaType"), 100),
        # GoToSocial writes alt text in summary, Mastodon in name.
        description=text(data.get("summary") or data.get("name"), 1500),
        blurhash=text(data.get("blurhash"), 100) or None,
        width=_number(width),
        height=_number(height),
    )


def is_public(addresses: list[str]) -> bool:
    return any(a in PUBLIC_ALIASES for a in addresses)


def profile_from_actor(doc: ActorDoc) -> RemoteProfile:
    """What Porch stores about a remote actor, from their parsed document."""
    return RemoteProfile(
        uri=doc.id,
        username=doc.username,
        domain=host(doc.id),
        actor_type=doc.type,
        display_name=doc.name,
        bio=doc.bio,
        url=doc.url,
        inbox_url=doc.inbox,
        shared_inbox_url=doc.shared_inbox,
        followers_url=doc.followers,
        avatar_url=doc.icon,
        header_url=doc.image,
        locked=doc.locked,
        discoverable=doc.discoverable,
        key_id=doc.key_id,
        public_pem=doc.public_pem,
    )


def visibility_from_note(note: NoteDoc, followers_url: str | None) -> Visibility:
    """Mastodon's mapping, read backwards: Public in to, in cc, followers, or people."""
    if is_public(note.to):
        return Visibility.public
    if is_public(note.cc):
        return Visibility.unlisted
    if followers_url and followers_url in note.to + note.cc:
        return Visibility.followers
    return Visibility.direct


def post_from_note(
    note: NoteDoc,
    *,
    visibility: Visibility,
    content_html: str,
    mention_ids: list[int],
    in_reply_to_id: int | None,
    received_at: datetime,
    root_id: int | None = None,
    policy: Policy | None = None,
) -> RemotePost:
    """The post to store for a note, with the references already found here (mentioned
    people, the parent) and its HTML relinked to pages here."""
    poll = None
    if note.poll_options is not None:
        poll = RemotePoll(note.poll_options, note.poll_multiple, note.poll_closes, note.poll_voters)
    return RemotePost(
        uri=note.id,
        url=note.url,
        content_html=content_html,
        text=plain_text(note.content_html),
        spoiler_text=note.summary,
        sensitive=note.sensitive,
        visibility=visibility,
        published_at=note.published or received_at,
        language=note.language,
        intent=note.intent,
        tone_indicator=note.tone_indicator,
        in_reply_to_id=in_reply_to_id,
        in_reply_to_uri=note.in_reply_to,
        root_id=root_id,
        mention_ids=mention_ids,
        tags=note.hashtags,
        media=[
            RemoteMedia(m.url, m.media_type, m.description, m.blurhash, m.width, m.height)
            for m in note.attachments
        ],
        poll=poll,
        policy=policy,
    )
