"""The moments of care around a post, as they happen: its pause (edited, withdrawn or
posted as written), the nudges and cards that came before it, a shield going up.

Each is a care event (server/models/care.py) linked to the norms version in force; the
worker adds what followed (server/services/follow_ups.py). Nothing here keeps what
anyone wrote: the post holds its words, the event only what happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareKind, Post
from server.models.care import CareEvent
from server.services import care, holdouts

#: A pause ends one of these ways ("" while it runs); a withdrawn post's draft may then be
#: posted again or thrown away.
PAUSE_OUTCOMES = ("edited", "withdrawn", "as_written", "reposted", "discarded")
#: Nudges and cards shown this long before a reply are the ones that led to it.
LEAD_UP = timedelta(days=1)


async def paused(
    session: AsyncSession,
    post: Post,
    now: datetime,
    *,
    quoting: bool = False,
    arm: str = "",
    held: bool = False,
) -> None:
    """A post went into its pause: note the moment (in the author's norm-experiment
    `arm`, "" outside one), and tie the nudges and cards its author was shown on the way
    (replying to the same post) to it. `held`: its tone nudge was held back, so the
    holdout's event is written too, and no nudge shown earlier (one given up on) is tied
    to it: it belongs to the holdout arm only. At most two statements, in the caller's
    transaction."""
    detail = "reply" if post.in_reply_to_id is not None else "post"
    if post.in_reply_to_id is None and quoting:
        detail = "quote"
    event = care.moment(
        CareKind.pause,
        now,
        actor_id=post.actor_id,
        post_id=post.in_reply_to_id,
        reply_id=post.id,
        detail=detail,
        arm=arm,
    )
    session.add(event)
    if held:
        session.add(holdouts.nudge_held_out(post, now))
    if post.in_reply_to_id is None:
        return
    event.target_id = _author_of(post.in_reply_to_id)
    await session.exec(
        update(CareEvent)
        .where(
            col(CareEvent.kind).in_(
                (CareKind.card,) if held else (CareKind.tone_nudge, CareKind.card)
            ),
            col(CareEvent.actor_id) == post.actor_id,
            col(CareEvent.post_id) == post.in_reply_to_id,
            col(CareEvent.reply_id).is_(None),
            col(CareEvent.created_at) >= now - LEAD_UP,
        )
        .values(reply_id=post.id)
    )


def _author_of(post_id: int) -> Any:
    """The person replied to, read by the INSERT itself rather than a statement of its own."""
    return select(Post.actor_id).where(col(Post.id) == post_id).scalar_subquery()


async def _pause_ended(
    session: AsyncSession, post_id: int, outcome: str, *only: str, **values: Any
) -> None:
    await session.exec(
        update(CareEvent)
        .where(
            col(CareEvent.kind) == CareKind.pause,
            col(CareEvent.reply_id) == post_id,
            col(CareEvent.outcome).in_(only),
        )
        .values(outcome=outcome, **values)
    )


async def edited_in_pause(session: AsyncSession, post_id: int) -> None:
    """The author changed the post during its pause (one statement, caller commits)."""
    await _pause_ended(session, post_id, "edited", "")


async def withdrawn(session: AsyncSession, post_id: int, draft_id: int) -> None:
    """The author took the post back during its pause, edited before or not; its words
    are now the draft `draft_id`."""
    await _pause_ended(session, post_id, "withdrawn", "", "edited", draft_id=draft_id)


async def draft_taken(session: AsyncSession, draft_id: int, *, posted: bool) -> None:
    """A withdrawn post's draft went out again as a new post, or was thrown away (one
    statement, caller commits). Drafts kept from a nudge have no pause and match nothing."""
    await session.exec(
        update(CareEvent)
        .where(
            col(CareEvent.kind) == CareKind.pause,
            col(CareEvent.draft_id) == draft_id,
            col(CareEvent.outcome) == "withdrawn",
        )
        .values(outcome="reposted" if posted else "discarded")
    )


async def published(session: AsyncSession, post_id: int) -> None:
    """The pause ended and the post went out; unless edited, as it was written."""
    await _pause_ended(session, post_id, "as_written", "")


def shield_raised(root_id: int, author_id: int, now: datetime) -> CareEvent:
    """The event for a thread's pile-on shield going up by itself, for the caller's
    transaction."""
    return care.moment(CareKind.shield, now, actor_id=author_id, post_id=root_id, detail="auto")
