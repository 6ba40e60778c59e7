"""Moderation in figures for the admins' dashboard: how often people report, how soon
moderators act, and what they decide. Counts only: nobody is named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import ActionKind, Actor, ModerationAction, Post, Report, ReportState
from server.services.dashboard import Share, shares, window

#: Outcomes in the order shown: the strongest action taken on a report, a report
#: resolved with no action, and reports still open.
OUTCOMES = ("suspend", "limit", "delete_posts", "warn", "dismiss", "resolved", "open")
_STRENGTH = [k.value for k in ActionKind]  # declared weakest first


@dataclass(frozen=True)
class ModerationFigures:
    """Reports made in the last 30 days and what became of them."""

    reports: int
    #: Posts published here in the same days, for the rate.
    posts: int
    #: Median hours from a report to the first thing a moderator did about it (an action,
    #: or resolving it); None while no report has been handled.
    hours_to_first_action: float | None
    outcomes: list[Share]

    @property
    def per_thousand_posts(self) -> float:
        """Reports per 1,000 posts published (0 with no posts)."""
        return 1000 * self.reports / self.posts if self.posts else 0.0


async def figures(session: AsyncSession, now: datetime) -> ModerationFigures:
    """The moderation figures for the 30 UTC days up to `now`."""
    _, start = window(now)
    found = list(
        (
            await session.exec(
                select(Report).where(col(Report.created_at) >= start, col(Report.created_at) <= now)
            )
        ).all()
    )
    ids = [r.id for r in found]
    acted: dict[int, list[ModerationAction]] = {}
    if ids:
        rows = await session.exec(
            select(ModerationAction).where(col(ModerationAction.report_id).in_(ids))
        )
        for action in rows.all():
            if action.report_id is not None:
                acted.setdefault(action.report_id, []).append(action)
    counts: dict[str, int] = {}
    waits: list[float] = []
    for report in found:
        actions = acted.get(report.id or 0, [])
        moments = [a.created_at for a in actions]
        if report.resolved_at is not None:
            moments.append(report.resolved_at)
        if moments:
            waits.append((min(moments) - report.created_at).total_seconds() / 3600)
        if actions:
            outcome = max((str(a.kind) for a in actions), key=_STRENGTH.index)
        else:
            outcome = "open" if report.state == ReportState.open else "resolved"
        counts[outcome] = counts.get(outcome, 0) + 1
    # Members' posts and replies published in the window (deleted ones too: they were
    # there to be reported), boosts apart.
    published = (
        select(func.count())
        .select_from(Post)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(
            col(Actor.domain).is_(None),
            col(Post.reblog_of_id).is_(None),
            col(Post.published_at) >= start,
            col(Post.published_at) <= now,
        )
    )
    posts = int((await session.exec(published)).one())
    return ModerationFigures(
        reports=len(found),
        posts=posts,
        hours_to_first_action=round(median(waits), 1) if waits else None,
        outcomes=shares(counts, OUTCOMES),
    )
