"""Moderation notices: what a member is told about an action, their report or their appeal.

Each is a notification (so it shows wherever notifications do) with a ModerationNotice
holding its words. The notification comes from the member's own account: moderators act
for the community, and a reporter is never named to anyone.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    ModerationNotice,
    NoticeKind,
    Notification,
    NotificationKind,
    Report,
)
from server.services import mail_notices, roles

KINDS = {
    NoticeKind.warning: NotificationKind.warning,
    NoticeKind.report_outcome: NotificationKind.report_outcome,
    NoticeKind.appeal_outcome: NotificationKind.appeal_outcome,
    NoticeKind.new_report: NotificationKind.new_report,
}

#: Notices also mailed: what was decided about the member themselves.
MAILED = frozenset({NoticeKind.warning, NoticeKind.appeal_outcome})


async def tell(
    session: AsyncSession,
    *,
    recipient_id: int,
    kind: NoticeKind,
    text: str,
    now: datetime,
    action_id: int | None = None,
    report_id: int | None = None,
    appeal_id: int | None = None,
    from_actor_id: int | None = None,
) -> ModerationNotice | None:
    """Tell a local member, in the caller's transaction; None for people elsewhere. The
    notification comes from the member's own account unless `from_actor_id` says who."""
    recipient = await session.get(Actor, recipient_id)
    if recipient is None or not recipient.is_local:
        return None
    note = Notification(
        recipient_id=recipient_id,
        kind=KINDS[kind],
        from_actor_id=from_actor_id or recipient_id,
        post_id=None,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    assert note.id is not None
    notice = ModerationNotice(
        notification_id=note.id,
        kind=kind,
        action_id=action_id,
        report_id=report_id,
        appeal_id=appeal_id,
        text=text[:2000],
    )
    session.add(notice)
    if kind in MAILED:
        await mail_notices.moderation(session, recipient, text, now)
    return notice


async def tell_moderators(session: AsyncSession, report: Report, now: datetime) -> None:
    """Tell every moderator and admin (but the reporter and the person reported) that a
    report arrived, in the caller's transaction; as Mastodon, it comes from whoever
    reported (the sending server's actor for a Flag)."""
    target = await session.get(Actor, report.target_id)
    sender = report.reporter_id or report.flagged_by_id or report.target_id
    where = f" from {report.origin_domain}" if report.origin_domain else ""
    text = f"A report{where} about @{target.handle if target else 'someone'} is in the queue."
    for moderator in await roles.moderators(session):
        if moderator.id is None or moderator.id in (report.reporter_id, report.target_id):
            continue
        await tell(
            session,
            recipient_id=moderator.id,
            kind=NoticeKind.new_report,
            text=text,
            report_id=report.id,
            from_actor_id=sender,
            now=now,
        )


async def of(
    session: AsyncSession, notification_ids: Collection[int]
) -> dict[int, ModerationNotice]:
    """The notices behind these notifications, by notification id."""
    if not notification_ids:
        return {}
    rows = await session.exec(
        select(ModerationNotice).where(
            col(ModerationNotice.notification_id).in_(list(notification_ids))
        )
    )
    return {n.notification_id: n for n in rows.all()}


async def for_member(
    session: AsyncSession, actor_id: int, limit: int = 50
) -> list[ModerationNotice]:
    """A member's moderation notices, newest first."""
    rows = await session.exec(
        select(ModerationNotice)
        .join(Notification, col(Notification.id) == ModerationNotice.notification_id)
        .where(Notification.recipient_id == actor_id)
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    return list(rows.all())
