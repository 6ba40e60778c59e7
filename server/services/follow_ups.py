"""What followed a moment of care, computed by the worker once its windows have passed.

For each care event tied to a reply (its pause, the nudges and cards shown on the way):
did the person replied to answer it within 48 hours; did they block, mute or report the
replier within 7 days; did the thread go into slow mode after it; did the thread's
author hide it. And for a nudged reply, whether the words that went out still trip the
tone check (the direction of the edit, by the same local check as the nudge).

Batched: a fixed number of statements for any number of events, never one per event.
Idempotent: an event is computed once (followed_up_at) and never again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Block, CareEvent, CareKind, HiddenReply, Mute, Post, PostState, Report
from server.services import tone

#: The person replied to answers within this long, or not.
ANSWER_WINDOW = timedelta(hours=48)
#: Blocks, mutes, reports, slow mode and hiding count within this long of the reply.
AFTER_WINDOW = timedelta(days=7)
#: Events computed per statement batch.
BATCH = 500


@dataclass(frozen=True)
class Moment:
    """One care event with the reply it led to, as the batch reads it."""

    event_id: int
    kind: str
    reply_id: int | None
    replier_id: int | None
    answered_id: int | None
    root_id: int | None
    published_at: datetime | None
    text: str
    language: str | None

    @property
    def conversation(self) -> bool:
        """A published reply to someone else: the only kind that can be followed up."""
        return (
            self.published_at is not None
            and self.answered_id is not None
            and self.answered_id != self.replier_id
        )


def _due(now: datetime) -> Any:
    reply, parent = aliased(Post), aliased(Post)
    settled = or_(
        col(reply.id).is_(None),  # withdrawn: the row is gone
        col(reply.state).not_in((PostState.pending, PostState.published)),
        col(reply.published_at) <= now - AFTER_WINDOW,
    )
    return (
        sa_select(
            col(CareEvent.id),
            col(CareEvent.kind),
            col(reply.id),
            col(reply.actor_id),
            col(parent.actor_id),
            col(reply.root_id),
            col(reply.published_at),
            col(reply.state),
            col(reply.text),
            col(reply.language),
        )
        .select_from(CareEvent)
        .outerjoin(reply, col(reply.id) == col(CareEvent.reply_id))
        .outerjoin(parent, col(parent.id) == col(reply.in_reply_to_id))
        .where(
            col(CareEvent.reply_id).is_not(None),
            col(CareEvent.followed_up_at).is_(None),
            col(CareEvent.created_at) <= now - AFTER_WINDOW,
            settled,
        )
        .order_by(col(CareEvent.id))
        .limit(BATCH)
    )


async def follow_up(session: AsyncSession, phrases: tuple[str, ...], now: datetime) -> int:
    """Compute what followed every care event whose windows have passed (in batches);
    `phrases` are the tone check's, in force now. Returns how many events it settled."""
    settled = 0
    while True:
        rows = (await session.exec(_due(now))).all()
        if not rows:
            return settled
        moments = [
            Moment(
                event_id=r[0],
                kind=r[1],
                reply_id=r[2],
                replier_id=r[3],
                answered_id=r[4],
                root_id=r[5],
                published_at=r[6] if r[7] == PostState.published else None,
                text=r[8] or "",
                language=r[9],
            )
            for r in rows
        ]
        await _settle(session, moments, phrases, now)
        await session.commit()
        settled += len(moments)
        if len(rows) < BATCH:
            return settled


async def _settle(
    session: AsyncSession, moments: Sequence[Moment], phrases: tuple[str, ...], now: datetime
) -> None:
    talks = [m for m in moments if m.conversation]
    reply_ids = [m.reply_id for m in talks if m.reply_id is not None]
    people = {m.answered_id for m in talks if m.answered_id is not None}
    repliers = {m.replier_id for m in talks if m.replier_id is not None}
    roots = {m.root_id for m in talks if m.root_id is not None}
    answers = await _times(
        session,
        select(Post.in_reply_to_id, Post.actor_id, Post.published_at).where(
            col(Post.in_reply_to_id).in_(reply_ids), col(Post.state) == PostState.published
        ),
    )
    distance: dict[tuple[Any, Any], list[datetime]] = defaultdict(list)
    for statement in (
        select(Block.actor_id, Block.target_id, Block.created_at).where(
            col(Block.actor_id).in_(people), col(Block.target_id).in_(repliers)
        ),
        select(Mute.actor_id, Mute.target_id, Mute.created_at).where(
            col(Mute.actor_id).in_(people), col(Mute.target_id).in_(repliers)
        ),
        select(Report.reporter_id, Report.target_id, Report.created_at).where(
            col(Report.reporter_id).in_(people), col(Report.target_id).in_(repliers)
        ),
    ):
        for key, times in (await _times(session, statement)).items():
            distance[key] += times
    slowed = await _times(
        session,
        select(CareEvent.post_id, CareEvent.post_id, CareEvent.created_at).where(
            col(CareEvent.kind) == CareKind.slow_mode, col(CareEvent.post_id).in_(roots)
        ),
    )
    hidden = await _times(
        session,
        select(HiddenReply.post_id, HiddenReply.post_id, HiddenReply.created_at).where(
            col(HiddenReply.post_id).in_(reply_ids)
        ),
    )
    groups: dict[tuple[bool | None, ...], list[int]] = defaultdict(list)
    for m in moments:
        flagged = None
        if m.kind == CareKind.tone_nudge and m.published_at is not None:
            flagged = bool(tone.check(m.text, phrases, m.language))
        if not m.conversation:
            groups[(None, None, None, None, flagged)].append(m.event_id)
            continue
        assert m.published_at is not None
        start = m.published_at

        def within(times: Iterable[datetime], span: timedelta, start: datetime = start) -> bool:
            return any(start <= t <= start + span for t in times)

        groups[
            (
                within(answers.get((m.reply_id, m.answered_id), ()), ANSWER_WINDOW),
                within(distance.get((m.answered_id, m.replier_id), ()), AFTER_WINDOW),
                within(slowed.get((m.root_id, m.root_id), ()), AFTER_WINDOW),
                within(hidden.get((m.reply_id, m.reply_id), ()), AFTER_WINDOW),
                flagged,
            )
        ].append(m.event_id)
    # One UPDATE per combination of answers (a handful), not one per event.
    for (answered, turned_away, slow, hid, flagged), ids in groups.items():
        await session.exec(
            update(CareEvent)
            .where(col(CareEvent.id).in_(ids))
            .values(
                answered=answered,
                turned_away=turned_away,
                slowed=slow,
                hidden=hid,
                still_flagged=flagged,
                followed_up_at=now,
            )
        )


async def _times(session: AsyncSession, statement: Any) -> dict[tuple[Any, Any], list[datetime]]:
    """Rows of (a, b, time) gathered as {(a, b): [times]}."""
    found: dict[tuple[Any, Any], list[datetime]] = defaultdict(list)
    for a, b, when in (await session.exec(statement)).all():
        if when is not None:
            found[(a, b)].append(when)
    return found
