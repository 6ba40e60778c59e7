"""The streams Mastodon's streaming API offers, and a checked request for one."""

from __future__ import annotations

from dataclasses import dataclass

from server.ids import MAX_SERIAL_ID, parse_id
from server.services.audience import POST_STREAMS, Reader
from server.services.oauth_tokens import Grant
from server.text import clean

STREAMS = {"user:notification", *POST_STREAMS}


@dataclass(frozen=True)
class Subscription:
    """One stream a connection follows."""

    stream: str
    tag: str | None = None
    list_id: int | None = None

    def reader(self, viewer_id: int | None) -> Reader:
        """The subscription as the audience rules know it."""
        return Reader(viewer_id, self.stream, self.tag, self.list_id)

    @property
    def posts(self) -> bool:
        """Whether it carries posts (updates, edits and deletes)."""
        return self.stream in POST_STREAMS

    @property
    def notifications(self) -> bool:
        return self.stream in ("user", "user:notification")

    @property
    def name(self) -> list[str]:
        """The `stream` field of WebSocket messages, as Mastodon writes it."""
        if self.tag is not None:
            return [self.stream, self.tag]
        if self.list_id is not None:
            return [self.stream, str(self.list_id)]
        return [self.stream]

    def same(self, other: Subscription) -> bool:
        return self.name == other.name


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def subscription(grant: Grant, stream: str, tag: object, list_id: str | None) -> Subscription:
    """A checked subscription request; Refused with Mastodon's reasons otherwise."""
    if stream not in STREAMS:
        raise Refused(400, f"Unknown stream type: {stream}")
    if (stream.startswith("user") or stream == "list") and grant.actor_id is None:
        raise Refused(401, "This stream requires an authenticated user")
    wanted = "read:notifications" if stream == "user:notification" else "read:statuses"
    if not grant.allows(wanted):
        raise Refused(401, "Access token does not have the required scopes")
    if stream.startswith("hashtag"):
        # A WebSocket message can carry anything JSON can: only text is a tag, cleaned
        # as every door cleans text (NUL would fail PostgreSQL's query).
        cleaned = clean(tag if isinstance(tag, str) else "").lstrip("#").lower()
        if not cleaned or len(cleaned) > 100:
            raise Refused(400, "A hashtag stream needs a tag")
        return Subscription(stream, tag=cleaned)
    if stream == "list":
        if list_id == "conversations":
            raise Refused(
                400, "Conversations is ranked, so it has no live stream: read it again instead"
            )
        chosen = parse_id(list_id, most=MAX_SERIAL_ID)
        if chosen is None:
            raise Refused(400, "A list stream needs a list id")
        return Subscription(stream, list_id=chosen)
    return Subscription(stream)
