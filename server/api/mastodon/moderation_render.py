"""What moderation notifications carry in the API: Mastodon's AccountWarning for a warning,
and the words of the notice (Porch's `moderation_notice`) for every moderation kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.api.mastodon.entities import moderation as entities
from server.models import Appeal, ModerationAction, NoticeKind
from server.services import moderation_notices
from server.services.notifications import NotificationView


async def of_notifications(
    session: AsyncSession, items: Sequence[NotificationView], accounts: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Extra fields by notification id, for the moderation notifications among `items`."""
    ids = [i.notification.id for i in items if i.notification.id is not None]
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
        out[notice.notification_id] = extra
    return out
