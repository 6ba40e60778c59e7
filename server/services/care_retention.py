"""Keeping care events only as long as the community says (`outcomes.keep_days`): older
days are folded into daily counts (care_daily) and the events themselves deleted, with
the private welcome answers of those days. What remains names nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareDaily, CareEvent, ReplyWelcome
from server.services.dashboard import utc_day
from server.services.outcome_figures import how_many_true

#: The kind under which welcome answers are counted; their outcome is "yes" or "not_really".
WELCOME = "welcome"
Key = tuple[date, str, str, str, str, int]


def cutoff(keep_days: int, now: datetime) -> datetime:
    """Events before this are folded: whole UTC days only, so a day is folded once."""
    first_kept = (now - timedelta(days=keep_days)).astimezone(UTC).date()
    return datetime.combine(first_kept, time(), UTC)


async def fold(session: AsyncSession, keep_days: int, now: datetime) -> int:
    """Fold every care event and welcome answer older than `keep_days` (whole days) into
    daily counts and delete them, in one transaction; returns how many rows went."""
    before = cutoff(keep_days, now)
    answered_day = utc_day(col(ReplyWelcome.answered_at))
    welcomes = select(
        answered_day,
        col(ReplyWelcome.welcome),
        func.count(),
        func.count(func.distinct(ReplyWelcome.actor_id)),
    ).where(col(ReplyWelcome.answered_at) < before)
    folded: dict[Key, list[int]] = {}
    for row in (await session.exec(_events_by_day(before))).all():
        folded[(_day(row[0]), *row[1:6])] = [int(n) for n in row[6:]]
    for when, welcome, count, members in (
        await session.exec(welcomes.group_by(answered_day, col(ReplyWelcome.welcome)))
    ).all():
        outcome = "yes" if welcome else "not_really"
        folded[(_day(when), WELCOME, "", outcome, "", 0)] = [count, members, 0, 0, 0, 0, 0, 0]
    if not folded:
        return 0
    await _add(session, folded)
    gone = await session.exec(delete(CareEvent).where(col(CareEvent.created_at) < before))
    gone_too = await session.exec(
        delete(ReplyWelcome).where(col(ReplyWelcome.answered_at) < before)
    )
    events = sum(c[0] for key, c in folded.items() if key[1] != WELCOME)
    answers = sum(c[0] for key, c in folded.items() if key[1] == WELCOME)
    if (gone.rowcount, gone_too.rowcount) != (events, answers):
        # Another worker folded these days meanwhile (its delete went first): counting
        # them again would double them.
        await session.rollback()
        return 0
    await session.commit()
    return events + answers


def _events_by_day(before: datetime) -> Any:
    """Each day's events before `before`, counted by kind, detail, outcome, arm and
    norms version."""
    day = utc_day(col(CareEvent.created_at))
    groups = (
        col(CareEvent.kind),
        col(CareEvent.detail),
        col(CareEvent.outcome),
        col(CareEvent.arm),
        col(CareEvent.norms_version),
    )
    return (
        sa_select(
            day,
            *groups,
            func.count(),
            func.count(func.distinct(CareEvent.actor_id)),
            func.count(col(CareEvent.followed_up_at)),
            how_many_true(CareEvent.answered),
            how_many_true(CareEvent.turned_away),
            how_many_true(CareEvent.slowed),
            how_many_true(CareEvent.hidden),
            how_many_true(CareEvent.still_flagged),
        )
        .where(col(CareEvent.created_at) < before)
        .group_by(day, *groups)
    )


def _day(value: Any) -> date:
    """SQLite hands the day back as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _add(session: AsyncSession, folded: dict[Key, list[int]]) -> None:
    """Add the counts to the days' rows, making those not there yet. A day is folded once
    (whole days), but a clock set back could fold more of one: counts add up, members
    keep the larger figure (a lower bound, never an overcount)."""
    days = {key[0] for key in folded}
    existing = {
        (r.day, r.kind, r.detail, r.outcome, r.arm, r.norms_version): r
        for r in (await session.exec(select(CareDaily).where(col(CareDaily.day).in_(days)))).all()
    }
    for key, counts in folded.items():
        row = existing.get(key) or CareDaily(
            day=key[0], kind=key[1], detail=key[2], outcome=key[3], arm=key[4], norms_version=key[5]
        )
        events, members, followed, answered, turned_away, slowed, hidden, flagged = counts
        row.events += events
        row.members = max(row.members, members)
        row.followed_up += followed
        row.answered += answered
        row.turned_away += turned_away
        row.slowed += slowed
        row.hidden += hidden
        row.still_flagged += flagged
        session.add(row)
