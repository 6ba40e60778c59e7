"""Thread stewardship: the author of a thread's first post keeps its replies kind.

Two things collapse a reply in a thread for every reader here but its own author:
- the thread's author hid it (`hide`; `unhide` brings it back);
- the thread's author, a member here, blocked the replier (lifting the block brings
  every such reply back).

Only the author of the thread's first post may hide, as on Twitter, where the
conversation's starter hides any reply in it: one steward per thread, so two repliers can
never hide each other's words. A collapsed reply stays its author's own post (their
profile, their followers' home); it leaves the thread: the thread page, the client API's
context and the thread's conversation signals (`counted_fact` in
server/services/signal_statements.py). Hiding is local: nothing is sent to other servers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, exists, literal, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Block,
    HiddenReply,
    Notification,
    NotificationKind,
    Post,
    PostState,
    ReplyFact,
)
from server.services import notifications, post_reads, signal_upkeep, statements
from server.services.errors import Forbidden, Invalid
from server.services.events import Event, EventKind, announce
from server.services.post_views import PostView
from server.services.rows import insert_once

if TYPE_CHECKING:  # norms reads the ranking, whose pages read threads through here
    from server.services.norms import Norms

#: The `stale` topic announced when what a thread shows changed (a reply hidden or
#: shown, a thread author's block made or lifted): pages kept for visitors go.
TOPIC = "thread"


@dataclass(frozen=True)
class Collapsed:
    """What collapses in one thread: replies hidden by its author, and the people its
    author (a member here) blocked."""

    root_id: int
    #: The author of the thread's first post, when they are a member here.
    steward_id: int | None = None
    hidden: frozenset[int] = frozenset()
    blocked: frozenset[int] = frozenset()

    def is_collapsed(self, post: Post) -> bool:
        """Whether `post`, a post of this thread, is collapsed for readers other than
        its author (and, for a hidden reply, the thread's author)."""
        if post.id == self.root_id or post.actor_id == self.steward_id:
            return False
        return post.id in self.hidden or post.actor_id in self.blocked

    def shown_to(self, viewer_id: int | None, post: Post) -> bool:
        """Whether `viewer_id` reads `post` in the thread as written: everyone reads what
        is not collapsed; its author reads their own reply; the thread's author reads
        what they hid (to hide it no more)."""
        if not self.is_collapsed(post):
            return True
        return viewer_id is not None and viewer_id in (post.actor_id, self.steward_id)


@dataclass
class ThreadView(PostView):
    """A post as one reader reads it in a thread."""

    #: Collapsed for this reader: shown as hidden by the thread's author, without its
    #: words, in place of itself and `collapsed_under` more posts under it.
    collapsed: bool = False
    collapsed_under: int = 0
    #: Collapsed for others, but shown to this reader (its author, the thread's author).
    hidden: bool = False


def arrange(views: list[PostView], c: Collapsed, viewer_id: int | None) -> list[ThreadView]:
    """`views` (a thread in reading order: every post after its parent) as `viewer_id`
    reads them. A collapsed reply takes the replies under it along, except the reader's
    own; each run of posts collapsed together becomes one placeholder."""
    under: set[int] = set()  # posts with a reply collapsed for this reader above or at them
    out: list[ThreadView] = []
    for view in views:
        post = view.post
        collapses = c.is_collapsed(post) and not c.shown_to(viewer_id, post)
        if collapses or post.in_reply_to_id in under:
            under.add(post.id)
        withheld = post.id in under and post.actor_id != viewer_id
        if withheld and post.in_reply_to_id in under and out and out[-1].collapsed:
            out[-1].collapsed_under += 1
            continue
        shown = ThreadView(**{f.name: getattr(view, f.name) for f in fields(PostView)})
        shown.collapsed = withheld
        shown.hidden = not withheld and c.is_collapsed(post)
        out.append(shown)
    return out


async def collapsed_in(session: AsyncSession, root_id: int) -> Collapsed:
    """What collapses in the thread whose first post is `root_id` (one statement)."""
    steward = (
        select(Post.actor_id)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id) == root_id, col(Actor.domain).is_(None))
    )
    steward_id = steward.scalar_subquery()
    rows = await statements.execute(
        session,
        union_all(
            select(steward_id, literal(0)),
            select(HiddenReply.post_id, literal(1)).where(col(HiddenReply.root_id) == root_id),
            select(Block.target_id, literal(2)).where(col(Block.actor_id) == steward_id),
        ),
    )
    found: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    for value, kind in rows.all():
        if value is not None:  # no steward: the thread's author is not a member here
            found[int(kind)].add(int(value))
    steward_ids, hidden, blocked = found
    return Collapsed(
        root_id,
        next(iter(steward_ids), None),
        frozenset(hidden),
        frozenset(blocked) if steward_ids else frozenset(),
    )


def shown_in_thread() -> ColumnElement[bool]:
    """The condition that a post is shown in its thread to everyone (for lists that are
    the thread as everyone reads it, such as a post's public replies collection): the
    thread's author neither hid it nor, as a member here, blocked its author."""
    root, steward = aliased(Post), aliased(Actor)
    hidden = exists(select(HiddenReply.post_id).where(HiddenReply.post_id == Post.id))
    blocked = exists(
        select(Block.id)
        .join(root, col(root.actor_id) == Block.actor_id)
        .join(steward, col(steward.id) == root.actor_id)
        .where(
            col(root.id) == Post.root_id,
            col(Block.target_id) == Post.actor_id,
            col(steward.domain).is_(None),
        )
    )
    return ~hidden & ~blocked


async def _reply_in_own_thread(session: AsyncSession, steward: Actor, post_id: int) -> Post:
    """The reply `steward` may hide or show: one they can see, in a thread they started."""
    reply = await post_reads.get_visible(session, steward.id, post_id)
    if reply.id == reply.root_id or reply.reblog_of_id is not None:
        raise Invalid("Only replies can be hidden: this post starts its thread.")
    root = await session.get(Post, reply.root_id)
    if root is None or root.actor_id != steward.id or not steward.is_local:
        raise Forbidden("Only the person who started this thread can hide its replies.")
    if reply.actor_id == steward.id:
        raise Invalid("This is your own reply: you can delete it instead of hiding it.")
    if reply.state != PostState.published:
        raise Invalid("This reply is not published yet.")
    return reply


async def hide(
    session: AsyncSession, steward: Actor, post_id: int, norms: Norms, now: datetime
) -> Post:
    """`steward` hides a reply in a thread they started. Hiding twice changes nothing.
    Its author is told only if the community's norm says so."""
    reply = await _reply_in_own_thread(session, steward, post_id)
    assert steward.id is not None
    written = await session.exec(
        insert_once(
            session,
            HiddenReply,
            post_id=reply.id,
            root_id=reply.root_id,
            hidden_by_id=steward.id,
            created_at=now,
        )
    )
    if written.rowcount == 1:
        await _changed(session, reply.root_id, steward.id)
        replier = await session.get(Actor, reply.actor_id)
        if norms["replies.hidden_told"] == "told" and replier is not None and replier.is_local:
            await notifications.add(
                session,
                recipient_id=reply.actor_id,
                kind=NotificationKind.reply_hidden,
                from_actor_id=steward.id,
                post_id=reply.id,
                now=now,
            )
    await session.commit()
    return reply


async def unhide(session: AsyncSession, steward: Actor, post_id: int) -> Post:
    """`steward` shows a reply they hid again; a notice its author got goes too."""
    reply = await _reply_in_own_thread(session, steward, post_id)
    assert steward.id is not None
    gone = await session.exec(delete(HiddenReply).where(col(HiddenReply.post_id) == reply.id))
    if gone.rowcount == 1:
        await session.exec(
            delete(Notification).where(
                col(Notification.post_id) == reply.id,
                col(Notification.kind) == NotificationKind.reply_hidden,
            )
        )
        await _changed(session, reply.root_id, steward.id)
    await session.commit()
    return reply


async def blocked_or_unblocked(session: AsyncSession, actor: Actor, target_id: int) -> None:
    """`actor` blocked `target_id` or lifted a block (the caller commits): when `actor`
    is a member here, the target's replies in their threads leave or rejoin the threads'
    signals, and the threads' pages kept for visitors go."""
    if not actor.is_local:
        return
    assert actor.id is not None
    roots = await session.exec(
        select(ReplyFact.root_id)
        .where(col(ReplyFact.root_author_id) == actor.id, col(ReplyFact.actor_id) == target_id)
        .distinct()
    )
    found = list(roots.all())
    if found:
        t = await signal_upkeep.thresholds(session)
        for root_id in found:
            await signal_upkeep.resum(session, root_id, t)
        announce(session, _orders_changed(actor.id))
    announce(session, Event(EventKind.stale, 0, topic=TOPIC))


async def _changed(session: AsyncSession, root_id: int, steward_id: int) -> None:
    await session.flush()
    await signal_upkeep.resum(session, root_id, await signal_upkeep.thresholds(session))
    announce(session, Event(EventKind.stale, root_id, topic=TOPIC), _orders_changed(steward_id))


def _orders_changed(steward_id: int) -> Event:
    """Anyone's Conversations may have shown the thread (and named the replier as talking
    in it): a relation change naming no audience makes every kept order rank afresh.
    Hides are rare next to reads."""
    return Event(EventKind.relation_changed, steward_id)
