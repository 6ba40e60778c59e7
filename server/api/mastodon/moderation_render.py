"""What moderation notifications carry in the API: Mastodon's AccountWarning for a warning,
and the words of the notice (Porch's `moderation_notice`) for every moderation kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.api.mastodon.entities import moderation as entities
from server.models import Actor, Appeal, ModerationAction, NoticeKind, Report
from server.services import moderation_notices, report_files
from server.services.notifications import NotificationView

MODERATION_KINDS = frozenset(moderation_notices.KINDS.values())


async def of_notifications(
    session: AsyncSession,
    items: Sequence[NotificationView],
    accounts: dict[int, dict[str, Any]],
    render_accounts: Callable[[list[Actor]], Awaitable[list[dict[str, Any]]]],
) -> dict[int, dict[str, Any]]:
    """Extra fields by notification id, for the moderation notifications among `items`:
    a warning's AccountWarning, a new report's Report (`render_accounts` renders the
    people reported)."""
    # Only moderation kinds have a notice: most pages cost no query at all.
    ids = [
        i.notification.id
        for i in items
        if i.notification.id is not None and i.notification.kind in MODERATION_KINDS
    ]
    notices = await moderation_notices.of(session, ids) if ids else {}
    if not notices:
        return {}
    action_ids = [n.action_id for n in notices.values() if n.action_id is not None]
    actions: dict[int, ModerationAction] = {}
    appeals: dict[int, Appeal] = {}
    if action_ids:
        found = await session.exec(
            select(ModerationAction).where(col(ModerationAction.id).in_(action_ids))
        )
        actions = {a.id: a for a in found.all() if a.id is not None}
        made = await session.exec(select(Appeal).where(col(Appeal.action_id).in_(action_ids)))
        appeals = {a.action_id: a for a in made.all()}
    found_reports = await _reports(
        session, [n.report_id for n in notices.values() if n.kind == NoticeKind.new_report]
    )
    targets = await _targets(session, found_reports, render_accounts)
    out: dict[int, dict[str, Any]] = {}
    for item in items:
        notice = notices.get(item.notification.id or 0)
        if notice is None:
            continue
        extra: dict[str, Any] = {
            "moderation_notice": {"kind": str(notice.kind), "text": notice.text}
        }
        action = actions.get(notice.action_id) if notice.action_id is not None else None
        if notice.kind == NoticeKind.warning and action is not None:
            target = accounts[item.notification.recipient_id]
            extra["moderation_warning"] = entities.account_warning(
                action, appeals.get(notice.action_id or 0), target
            )
        report = found_reports.get(notice.report_id or 0)
        if notice.kind == NoticeKind.new_report and report is not None:
            posts = await report_files.reported_post_ids(session, report)
            extra["report"] = entities.report(report, posts, targets[report.target_id])
        out[notice.notification_id] = extra
    return out


async def _reports(session: AsyncSession, ids: list[int | None]) -> dict[int, Report]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.exec(select(Report).where(col(Report.id).in_(wanted)))
    return {r.id: r for r in rows.all() if r.id is not None}


async def _targets(
    session: AsyncSession,
    found: dict[int, Report],
    render_accounts: Callable[[list[Actor]], Awaitable[list[dict[str, Any]]]],
) -> dict[int, dict[str, Any]]:
    ids = {r.target_id for r in found.values()}
    if not ids:
        return {}
    people = list((await session.exec(select(Actor).where(col(Actor.id).in_(ids)))).all())
    return {int(a["id"]): a for a in await render_accounts(people)}
