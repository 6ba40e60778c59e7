"""Report, Admin::Report, Admin::Account, AccountWarning and Appeal, as Mastodon 4.3 shapes them."""

from __future__ import annotations

from typing import Any

from server.api.mastodon.entities.accounts import role
from server.api.mastodon.entities.common import timestamp
from server.models import (
    ActionKind,
    Actor,
    Appeal,
    Member,
    MemberState,
    ModerationAction,
    Report,
    ReportState,
)

#: Porch's actions as Mastodon's AccountWarning names them.
WARNING_ACTIONS = {
    ActionKind.dismiss: "none",
    ActionKind.warn: "none",
    ActionKind.delete_posts: "delete_statuses",
    ActionKind.limit: "silence",
    ActionKind.suspend: "suspend",
}


def report(row: Report, status_ids: list[int], target: dict[str, Any]) -> dict[str, Any]:
    """The Report a member sees of their own report (target: the Account entity)."""
    return {
        "id": str(row.id),
        "action_taken": row.state == ReportState.resolved,
        "action_taken_at": timestamp(row.resolved_at),
        "category": str(row.category),
        "comment": row.comment,
        "forwarded": row.forwarded_at is not None,
        "created_at": timestamp(row.created_at),
        "status_ids": [str(i) for i in status_ids] or None,
        "rule_ids": list(row.rule_ids) or None,
        "target_account": target,
    }


def admin_account(actor: Actor, member: Member | None, account: dict[str, Any]) -> dict[str, Any]:
    """Admin::Account: the person with their standing here (email only for members)."""
    suspended = actor.suspended_at is not None or (
        member is not None and member.state == MemberState.suspended
    )
    return {
        "id": str(actor.id),
        "username": actor.username,
        "domain": actor.domain,
        "created_at": timestamp(actor.created_at),
        "email": member.email if member else None,
        "ip": None,
        "ips": [],
        "locale": None,
        "invite_request": member.signup_reason or None if member else None,
        "role": role(member),
        "confirmed": member is not None and member.email_confirmed_at is not None,
        "approved": member is None or member.state != MemberState.pending,
        "disabled": False,
        "silenced": actor.limited_at is not None,
        "suspended": suspended,
        "sensitized": False,
        "account": account,
    }


def admin_report(
    row: Report,
    *,
    reporter: dict[str, Any] | None,
    target: dict[str, Any],
    assignee: dict[str, Any] | None,
    resolver: dict[str, Any] | None,
    statuses: list[dict[str, Any]],
    rules: list[dict[str, Any]],
) -> dict[str, Any]:
    """Admin::Report. For a report another server sent, `account` is whoever sent the
    Flag (Mastodon's instance actor), as Mastodon shows it, and `origin_domain` says
    which server."""
    return {
        "id": str(row.id),
        "action_taken": row.state == ReportState.resolved,
        "action_taken_at": timestamp(row.resolved_at),
        "category": str(row.category),
        "comment": row.comment,
        "forwarded": row.forwarded_at is not None,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "account": reporter,
        "target_account": target,
        "assigned_account": assignee,
        "action_taken_by_account": resolver,
        "statuses": statuses,
        "rules": rules,
        "origin_domain": row.origin_domain,
    }


def appeal(row: Appeal | None) -> dict[str, Any] | None:
    """Appeal: the member's text and where it stands."""
    if row is None:
        return None
    return {"text": row.text, "state": str(row.state)}


def account_warning(
    action: ModerationAction, found: Appeal | None, target: dict[str, Any]
) -> dict[str, Any]:
    """AccountWarning: the action about the member, its reason and the norm cited."""
    text = action.reason
    if action.norm_text:
        text = f"{text}\n\nNorm: {action.norm_text}".strip()
    return {
        "id": str(action.id),
        "action": WARNING_ACTIONS[ActionKind(action.kind)],
        "text": text,
        "status_ids": [str(i) for i in action.post_ids],
        "target_account": target,
        "appeal": appeal(found),
        "created_at": timestamp(action.created_at),
    }
