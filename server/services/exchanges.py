"""The exchange under a conversation on the Conversations timeline: the replies its
reader may see there, who wrote them, and the few that earned the thread its place.

Read for a whole page at once, in a fixed number of statements. A reply is in a
reader's exchange only as the thread page would show it to everyone: published, one its
author's followers (or everyone) may read and this reader may see (server/services/
visibility.py), not collapsed by the thread's author (server/services/stewardship.py), by
no one the reader blocks or mutes, and under a post that is itself shown. Direct replies
never are: the ranking does not count them, and they are private between their people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Follow, FollowState, Post, PostState
from server.services import mutes, stewardship
from server.services.post_views import PostView, views_of
from server.services.visibility import visible_to

#: How many replies a conversation shows folded under its first post.
SHOWN = 3
#: Replies whose authors' followers can read them (as the ranking counts them).
READABLE = ("public", "unlisted", "followers")


@dataclass
class Exchange:
    """One conversation's replies as its reader may see them."""

    #: The post the conversation is shown by (its first post, or its first remaining
    #: reply once the first post is gone).
    item_id: int
    author_id: int
    #: How many replies the reader may see in the conversation.
    replies: int = 0
    #: Who wrote them, in the order they first replied (the thread's author too).
    people: list[Actor] = field(default_factory=list)
    #: The few replies that earned the place, in thread order.
    shown: list[PostView] = field(default_factory=list)
    #: Whom each reply answers (by reply id), for "replying to …".
    answering: dict[int, Actor] = field(default_factory=dict)

    @property
    def repliers(self) -> list[Actor]:
        """The people who replied other than the thread's author."""
        return [a for a in self.people if a.id != self.author_id]


def names(people: Sequence[Actor], viewer_id: int | None, most: int = 3) -> str:
    """People as a phrase: "Ben", "Ben and you", "Ben, Cleo and 2 others"."""
    said = ["you" if a.id == viewer_id else a.name for a in people]
    # The reader reads "you" last: "Ben and you" rather than "you and Ben".
    said.sort(key=lambda n: n == "you")
    if len(said) > most:
        rest = len(said) - (most - 1)
        said = [*said[: most - 1], f"{rest} others"]
    if len(said) <= 1:
        return "".join(said)
    return ", ".join(said[:-1]) + " and " + said[-1]


def replies_phrase(count: int) -> str:
    """ "1 reply", "3 replies"."""
    return f"{count} {'reply' if count == 1 else 'replies'}"


def summary(exchange: Exchange, viewer_id: int | None) -> str:
    """What the folded exchange says it holds: how many replies, and from whom."""
    return f"{replies_phrase(exchange.replies)} from {names(exchange.people, viewer_id)}"


async def of_page(
    session: AsyncSession, viewer_id: int, items: Sequence[PostView], now: datetime
) -> dict[int, Exchange]:
    """The exchange under each of `items` (posts that lead a conversation), by post id:
    one statement for the replies of every conversation on the page, then one
    rendering read (server/services/post_views.py) for the few shown. Each item's
    `replies` becomes the count its exchange gives, so the card and the summary agree."""
    if not items:
        return {}
    followed = select(Follow.followed_id).where(
        col(Follow.follower_id) == viewer_id, col(Follow.state) == FollowState.accepted
    )
    wanted: tuple[Any, ...] = (
        Post.id,
        Post.root_id,
        Post.in_reply_to_id,
        Actor,
        col(Post.actor_id).in_(followed),
    )
    rows = await session.exec(
        select(*wanted)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(Post.root_id).in_({v.post.root_id for v in items}),
            col(Post.in_reply_to_id).is_not(None),
            # Pending posts are their authors' alone; deleted ones are nobody's.
            col(Post.state) == PostState.published,
            col(Post.visibility).in_(READABLE),
            visible_to(viewer_id),
            stewardship.shown_in_thread(),
            col(Post.actor_id).not_in(mutes.muted_ids(viewer_id, now)),
        )
        .order_by(col(Post.id))
    )
    by_root: dict[int, list[tuple[int, int, Actor, bool]]] = {}
    for post_id, root_id, parent_id, actor, follows in rows.all():
        by_root.setdefault(root_id, []).append((post_id, parent_id, actor, bool(follows)))
    found: dict[int, Exchange] = {}
    chosen: dict[int, list[int]] = {}
    for view in items:
        exchange, picked = _walk(view, by_root.get(view.post.root_id, []), viewer_id)
        found[view.post.id] = exchange
        chosen[view.post.id] = picked
    picked = [i for ids in chosen.values() for i in ids]
    shown = {v.post.id: v for v in await views_of(session, viewer_id, picked)}
    for item_id, ids in chosen.items():
        found[item_id].shown = [shown[i] for i in ids if i in shown]
    for view in items:
        # The card counts what the summary counts: the replies this reader may see in
        # the whole conversation, not the first post's direct replies kept for everyone.
        view.replies = found[view.post.id].replies
    return found


def _walk(
    view: PostView, rows: list[tuple[int, int, Actor, bool]], viewer_id: int
) -> tuple[Exchange, list[int]]:
    """The replies under `view` that the reader reads, and the few to show."""
    author_id = view.author.id
    assert author_id is not None
    exchange = Exchange(view.post.id, author_id)
    # A reply under one the reader does not see is left out with it, as on the thread
    # page; rows come in thread order, so a parent is met before its replies.
    reached: dict[int, Actor] = {view.post.id: view.author}
    order: list[tuple[int, Actor, Actor, bool]] = []
    seen_people: dict[int, Actor] = {}
    for post_id, parent_id, actor, follows in rows:
        parent = reached.get(parent_id)
        if parent is None:
            continue
        reached[post_id] = actor
        order.append((post_id, actor, parent, follows))
        if parent_id != view.post.id:
            # Replies to the first post need no "replying to": the card says whose it is.
            exchange.answering[post_id] = parent
        assert actor.id is not None
        seen_people.setdefault(actor.id, actor)
    exchange.replies = len(order)
    exchange.people = list(seen_people.values())

    # Who answered whom: a reply is part of a back-and-forth when its addressee answered
    # its writer too.
    spoke = {(a.id, p.id) for _, a, p, _ in order if a.id != p.id}

    def weight(entry: tuple[int, Actor, Actor, bool]) -> int:
        _, actor, parent, follows = entry
        if follows or actor.id == viewer_id:
            return 3
        if actor.id == author_id and parent.id != author_id:
            return 2  # the thread's author answering someone
        if actor.id != parent.id and (parent.id, actor.id) in spoke:
            return 1
        return 0

    best = sorted(order, key=lambda e: (-weight(e), e[0]))[:SHOWN]
    return exchange, sorted(e[0] for e in best)
