"""What a stream tells an app: the subscriptions Mastodon's streams offer, and the news
for each since it last looked.

Reading the timelines themselves keeps every visibility rule in one place (the
services), so a stream shows exactly what the timeline would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from server.api.mastodon import render
from server.api.mastodon.context import Call
from server.ids import MAX_SERIAL_ID, parse_id
from server.services import lists, notifications, timelines
from server.services.oauth_tokens import Grant
from server.services.paging import Window
from server.services.timelines import Page
from server.text import clean

#: How many of a timeline's newest posts are compared between looks.
DEPTH = 40

PUBLIC = {
    "public": (False, False, False),
    "public:media": (False, False, True),
    "public:local": (True, False, False),
    "public:local:media": (True, False, True),
    "public:remote": (False, True, False),
    "public:remote:media": (False, True, True),
}
STREAMS = {"user", "user:notification", "hashtag", "hashtag:local", "list", *PUBLIC}


@dataclass
class Subscription:
    """One stream a connection follows, and what it has already told the app."""

    stream: str
    tag: str | None = None
    list_id: int | None = None
    shown: list[int] = field(default_factory=list)
    last_notification: int | None = None
    primed: bool = False

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
    if (stream.startswith("user") or stream == "list") and grant.actor is None:
        raise Refused(401, "This stream requires an authenticated user")
    wanted = "read:notifications" if stream == "user:notification" else "read:statuses"
    if not grant.allows(wanted):
        raise Refused(401, "Access token does not have the required scopes")
    found = Subscription(stream)
    if stream.startswith("hashtag"):
        # A WebSocket message can carry anything JSON can: only text is a tag, cleaned
        # as every door cleans text (NUL would fail PostgreSQL's query).
        found.tag = clean(tag if isinstance(tag, str) else "").lstrip("#").lower()
        if not found.tag or len(found.tag) > 100:
            raise Refused(400, "A hashtag stream needs a tag")
    if stream == "list":
        if list_id == "conversations":
            raise Refused(
                400, "Conversations is ranked, so it has no live stream: read it again instead"
            )
        found.list_id = parse_id(list_id, most=MAX_SERIAL_ID)
        if found.list_id is None:
            raise Refused(400, "A list stream needs a list id")
    return found


async def _newest(call: Call, sub: Subscription) -> Page | None:
    window = Window(limit=DEPTH)
    if sub.stream == "user":
        return await timelines.home(call.session, call.actor, call.now, window)
    if sub.stream in PUBLIC:
        local, remote, media = PUBLIC[sub.stream]
        return await timelines.public(
            call.session,
            call.viewer_id,
            window,
            local_only=local,
            remote_only=remote,
            only_media=media,
        )
    if sub.tag is not None:
        page = await timelines.tagged(call.session, call.viewer_id, sub.tag, window)
        if sub.stream == "hashtag:local":
            page.items = [v for v in page.items if v.author.domain is None]
        return page
    if sub.list_id is not None:
        assert call.actor.id is not None
        chosen = await lists.own(call.session, call.actor.id, sub.list_id)
        return await timelines.of_list(call.session, call.actor, chosen, window)
    return None


async def news(call: Call, sub: Subscription) -> list[tuple[str, str]]:
    """(event, payload) pairs for what changed since the subscription last looked.

    The first look only notes what is there: apps load the timeline themselves and
    want the stream for what comes after.
    """
    events: list[tuple[str, str]] = []
    page = await _newest(call, sub)
    if page is not None:
        # Only published posts stream; an author sees their pending post when it goes out.
        items = [v for v in page.items if v.post.state == "published"]
        ids = [v.post.id for v in items]
        if sub.primed:
            known = set(sub.shown)
            fresh = [v for v in items if v.post.id not in known]
            # A post missing from the page went out of sight (deleted, its author muted or
            # unfollowed), unless it merely slid below the bottom of a full page.
            present, full = set(ids), len(ids) >= DEPTH
            gone = [i for i in sub.shown if i not in present and not (full and i < min(ids))]
            events += [("delete", str(i)) for i in gone]
            for entity in reversed(await render.statuses(call, fresh)):
                events.append(("update", json.dumps(entity)))
        sub.shown = ids
    if sub.stream in ("user", "user:notification"):
        assert call.actor.id is not None
        if sub.primed:
            window = Window(limit=DEPTH, min_id=sub.last_notification or 0)
            found = await notifications.for_member(call.session, call.actor.id, window)
            for entity in reversed(await render.notifications(call, found)):
                events.append(("notification", json.dumps(entity)))
            if found:
                sub.last_notification = max(n.notification.id or 0 for n in found)
        else:
            latest = await notifications.for_member(call.session, call.actor.id, Window(limit=1))
            sub.last_notification = latest[0].notification.id if latest else 0
    sub.primed = True
    return events
