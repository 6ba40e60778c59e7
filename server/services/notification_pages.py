"""A member's notifications page: one tab of their notifications, each with the post it
is about as the member may see it now, and how they stand with the person who sent it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Notification, NotificationKind
from server.services import notifications, post_views, relationships
from server.services.paging import Window
from server.services.post_views import PostView
from server.services.relationships import Relationship

#: What the Mentions tab shows: mentions, and replies to the member, as Mastodon's web
#: UI and apps show them under "Mentions" (its API calls both `mention`).
MENTIONS = frozenset({NotificationKind.mention, NotificationKind.reply})

#: The tabs by the name the page's address carries (`?filter=`); None: every kind.
TABS: dict[str, frozenset[NotificationKind] | None] = {"all": None, "mentions": MENTIONS}

#: Notifications about someone else's post that the member can answer from the page.
ANSWERABLE = MENTIONS

#: How many notifications a page shows.
PAGE_SIZE = 30


@dataclass(frozen=True)
class Entry:
    """One notification as the page shows it."""

    notification: Notification
    from_actor: Actor
    #: The post it is about, as the member may see it now (with what they did with it);
    #: None when there is none, or it went out of their sight (deleted, followers-only
    #: to someone who no longer follows, a block either way).
    view: PostView | None
    #: How the member stands with the sender (follow back, a request still waiting).
    relation: Relationship


@dataclass(frozen=True)
class NotificationPage:
    items: list[Entry]
    #: The cursor of the next, older page; None on the last.
    next_max_id: int | None


async def page_of(
    session: AsyncSession,
    actor_id: int,
    *,
    tab: str = "all",
    max_id: int | None = None,
    now: datetime,
) -> NotificationPage:
    """One page of `actor_id`'s notifications in `tab` (a key of TABS), newest first,
    with the posts they are about as the member may see them now, read in a few
    statements for the whole page."""
    window = Window(limit=PAGE_SIZE, max_id=max_id)
    found = await notifications.for_member(session, actor_id, window, kinds=TABS[tab], now=now)
    post_ids = list(dict.fromkeys(i.post.id for i in found if i.post is not None))
    # Visibility is decided again now: what the member could open when told may be gone.
    views = {v.post.id: v for v in await post_views.views_of(session, actor_id, post_ids)}
    senders = [i.from_actor.id for i in found if i.from_actor.id is not None]
    related = await relationships.between(session, actor_id, senders, now)
    by_sender = {r.target_id: r for r in related}
    items = []
    for item in found:
        assert item.from_actor.id is not None
        relation = by_sender.get(item.from_actor.id) or Relationship(item.from_actor.id)
        view = views.get(item.post.id) if item.post is not None else None
        if relation.blocking or relation.blocked_by:
            view = None  # a block either way: nothing of theirs is shown
        items.append(Entry(item.notification, item.from_actor, view, relation))
    last = found[-1].notification.id if len(found) == PAGE_SIZE else None
    return NotificationPage(items, last)
