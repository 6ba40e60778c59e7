"""Reading reports: the queue (open reports oldest first) and one report with its context.

What a moderator needs beside a report: the posts as reported, earlier reports and
actions on the same account, moderators' notes on it, and appeals waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    AccountNote,
    Actor,
    Appeal,
    ModerationAction,
    Report,
    ReportedPost,
    ReportState,
)
from server.services.errors import NotFound


@dataclass(frozen=True)
class ReportSummary:
    """A report as the queue lists it; `reporter` is None for another server's Flag."""

    report: Report
    reporter: Actor | None
    target: Actor
    assignee: Actor | None
    post_count: int


@dataclass(frozen=True)
class ReportFile:
    """One report with everything a moderator weighs it by."""

    report: Report
    reporter: Actor | None
    target: Actor
    assignee: Actor | None
    posts: list[ReportedPost]
    earlier_reports: list[Report]
    actions: list[ModerationAction]
    notes: list[AccountNote]
    appeals: list[Appeal]


async def _people(session: AsyncSession, ids: set[int | None]) -> dict[int, Actor]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(wanted)))
    return {a.id: a for a in rows.all() if a.id is not None}


async def listing(
    session: AsyncSession,
    *,
    state: ReportState | None = ReportState.open,
    target_id: int | None = None,
    reporter_id: int | None = None,
    not_about: int | None = None,
    origin: str | None = None,
    after_id: int | None = None,
    before_id: int | None = None,
    newest_first: bool = False,
    limit: int = 50,
) -> list[ReportSummary]:
    """Reports, oldest first (the queue's order) unless `newest_first`. `state` None
    lists both; `origin` "local" or "remote" keeps members' reports or other servers'.
    `not_about` leaves out reports about that account (a moderator's own)."""
    query = select(Report)
    if state is not None:
        query = query.where(Report.state == state)
    if target_id is not None:
        query = query.where(Report.target_id == target_id)
    if reporter_id is not None:
        query = query.where(Report.reporter_id == reporter_id)
    if not_about is not None:
        query = query.where(Report.target_id != not_about)
    if origin == "local":
        query = query.where(col(Report.origin_domain).is_(None))
    elif origin == "remote":
        query = query.where(col(Report.origin_domain).is_not(None))
    if after_id is not None:
        query = query.where(col(Report.id) > after_id)
    if before_id is not None:
        query = query.where(col(Report.id) < before_id)
    order = col(Report.id).desc() if newest_first else col(Report.id)
    found = list((await session.exec(query.order_by(order).limit(min(limit, 200)))).all())
    if not found:
        return []
    ids = [r.id for r in found]
    counted: dict[int, int] = {}
    for report_id in (
        await session.exec(
            select(ReportedPost.report_id).where(col(ReportedPost.report_id).in_(ids))
        )
    ).all():
        counted[report_id] = counted.get(report_id, 0) + 1
    people = await _people(
        session, {x for r in found for x in (r.reporter_id, r.target_id, r.assignee_id)}
    )
    return [
        ReportSummary(
            r,
            people.get(r.reporter_id) if r.reporter_id else None,
            people[r.target_id],
            people.get(r.assignee_id) if r.assignee_id else None,
            counted.get(r.id or 0, 0),
        )
        for r in found
    ]


async def show(session: AsyncSession, report_id: int) -> ReportFile:
    """The report with its posts as reported, earlier reports and actions on the account,
    notes on it, and appeals of those actions; NotFound if there is none."""
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound("There is no such report.")
    target_id = report.target_id
    posts = await session.exec(
        select(ReportedPost)
        .where(ReportedPost.report_id == report_id)
        .order_by(col(ReportedPost.id))
    )
    earlier = await session.exec(
        select(Report)
        .where(Report.target_id == target_id, col(Report.id) != report_id)
        .order_by(col(Report.id).desc())
    )
    actions = list(
        (
            await session.exec(
                select(ModerationAction)
                .where(ModerationAction.target_id == target_id)
                .order_by(col(ModerationAction.id).desc())
            )
        ).all()
    )
    notes = await session.exec(
        select(AccountNote)
        .where(AccountNote.target_id == target_id)
        .order_by(col(AccountNote.id).desc())
    )
    action_ids = [a.id for a in actions]
    appeals = await session.exec(
        select(Appeal).where(col(Appeal.action_id).in_(action_ids)).order_by(col(Appeal.id))
    )
    people = await _people(session, {report.reporter_id, target_id, report.assignee_id})
    return ReportFile(
        report=report,
        reporter=people.get(report.reporter_id) if report.reporter_id else None,
        target=people[target_id],
        assignee=people.get(report.assignee_id) if report.assignee_id else None,
        posts=list(posts.all()),
        earlier_reports=list(earlier.all()),
        actions=actions,
        notes=list(notes.all()),
        appeals=list(appeals.all()),
    )


async def reported_post_ids(session: AsyncSession, report: Report) -> list[int]:
    """The ids of the report's posts that still exist."""
    rows = await session.exec(
        select(ReportedPost.post_id).where(
            ReportedPost.report_id == report.id, col(ReportedPost.post_id).is_not(None)
        )
    )
    return [i for i in rows.all() if i is not None]


async def of_reporter(session: AsyncSession, reporter_id: int, limit: int = 50) -> list[Report]:
    """A member's own reports, newest first (what they sent, and whether it is resolved)."""
    rows = await session.exec(
        select(Report)
        .where(Report.reporter_id == reporter_id)
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    return list(rows.all())
