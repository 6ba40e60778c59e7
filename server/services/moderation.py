"""Moderation actions: dismiss, warn, delete posts, limit, suspend; and resolving reports.

Each action cites a norm (with its version), is recorded in the audit log in the same
transaction, resolves the report it answers, and tells the reporter the outcome in words
that say no more about the other person than the action itself makes public.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import (
    AccountNote,
    ActionKind,
    Actor,
    Member,
    MemberState,
    ModerationAction,
    NoticeKind,
    Post,
    Report,
    ReportState,
)
from server.services import (
    audit,
    citations,
    moderation_notices,
    report_files,
    reports,
    roles,
    sanctions,
    states,
)
from server.services.errors import Conflict, Forbidden, Invalid

MAX_REASON = 1000
MAX_NOTE = 2000

#: What the reporter is told, by the strongest action taken on their report.
OUTCOMES = {
    None: "Moderators reviewed your report and found nothing that breaks the community's "
    "norms. Thank you for telling us.",
    ActionKind.dismiss: "Moderators reviewed your report and found nothing that breaks the "
    "community's norms. Thank you for telling us.",
    ActionKind.warn: "Moderators reviewed your report and took action. Thank you for telling us.",
    ActionKind.delete_posts: "Moderators reviewed your report and removed the posts that "
    "break the community's norms. Thank you for telling us.",
    ActionKind.limit: "Moderators reviewed your report and limited the account. Thank you "
    "for telling us.",
    ActionKind.suspend: "Moderators reviewed your report and suspended the account. Thank "
    "you for telling us.",
}
_STRENGTH = [ActionKind.dismiss, ActionKind.warn, ActionKind.delete_posts, ActionKind.limit]
_STRENGTH.append(ActionKind.suspend)


def parse_kind(raw: str) -> ActionKind:
    """The action named `raw`, or Invalid listing them."""
    try:
        return ActionKind(raw.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in ActionKind)
        raise Invalid(f"An action is one of: {names}.", field="kind") from None


def _member_notice(kind: ActionKind, citation: citations.Citation, reason: str) -> str:
    what = {
        ActionKind.warn: "Moderators are warning you",
        ActionKind.delete_posts: "Moderators removed some of your posts",
        ActionKind.limit: "Moderators limited your account: your posts stay off public "
        "timelines and out of the notifications of people who do not follow you",
        ActionKind.suspend: "Moderators suspended your account",
    }[kind]
    cited = f" under the community's norm: “{citation.text}”" if citation.text else ""
    because = f" Their reason: {reason}" if reason else ""
    return f"{what}{cited}.{because} You can answer once, as an appeal."


async def act(
    session: AsyncSession,
    settings: Settings,
    *,
    moderator_id: int | None,
    target_id: int,
    kind: ActionKind,
    reason: str,
    now: datetime,
    report_id: int | None = None,
    norm_key: str = "",
    rule_id: str | None = None,
    post_ids: Sequence[int] = (),
    notify: bool = True,
) -> ModerationAction:
    """Take an action about an account, citing a norm; commits.

    dismiss: nothing happens to the account. warn: the member is told, with the norm.
    delete_posts: the given posts of theirs are deleted. limit: their posts stay off public
    timelines and out of strangers' notifications. suspend: a member loses access; someone
    elsewhere stops federating here. With `report_id` the report is resolved and its
    reporter told the outcome. Every action but dismiss needs a reason.
    """
    acting = await roles.moderating(session, moderator_id)
    await roles.may_act_on(session, acting, target_id)
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise Invalid(f"Keep the reason to {MAX_REASON} characters.", field="reason")
    if kind is not ActionKind.dismiss and not reason:
        raise Invalid(
            "Give a reason: the member reads it, and it goes in the audit log.", field="reason"
        )
    target = await session.get(Actor, target_id)
    if target is None or target.acct_key.startswith("!"):
        raise Invalid("There is no such account.", field="account_id")
    if moderator_id == target_id:
        raise Forbidden("You cannot act on your own account: another moderator does.")
    report = (
        await reports.handled_by(session, report_id, moderator_id)
        if report_id is not None
        else None
    )
    if report is not None and report.target_id != target_id:
        raise Invalid("That report is about someone else.", field="report_id")
    if report is not None and report.state != ReportState.open:
        raise Conflict("That report is resolved already; reopen it first.")
    citation = await citations.cite(session, settings, norm_key, rule_id)
    if kind is ActionKind.delete_posts:
        post_ids = await _own_posts(session, target_id, post_ids, report)
    action = ModerationAction(
        kind=kind,
        target_id=target_id,
        report_id=report_id,
        moderator_id=moderator_id,
        reason=reason,
        norm_key=citation.key,
        norm_version=citation.version,
        norm_text=citation.text,
        post_ids=list(post_ids),
        created_at=now,
    )
    session.add(action)
    await session.flush()
    assert action.id is not None
    audit.record(
        session,
        actor_id=moderator_id,
        verb=f"action.{kind}",
        target_id=target_id,
        report_id=report_id,
        action_id=action.id,
        norm_key=citation.key,
        norm_version=citation.version if citation.key else None,
        detail=reason,
        now=now,
    )
    if kind is not ActionKind.dismiss and notify:
        await moderation_notices.tell(
            session,
            recipient_id=target_id,
            kind=NoticeKind.warning,
            text=_member_notice(kind, citation, reason),
            action_id=action.id,
            now=now,
        )
    if report is not None:
        await _resolve(session, report, moderator_id, now)
    try:
        await sanctions.apply(session, target, action, now)  # commits
    except Exception:
        await session.rollback()
        raise
    return action


async def _own_posts(
    session: AsyncSession, target_id: int, post_ids: Sequence[int], report: Report | None
) -> list[int]:
    """The posts to delete: those given, or the report's; each must be the target's."""
    wanted = list(dict.fromkeys(post_ids))
    if not wanted and report is not None:
        wanted = await report_files.reported_post_ids(session, report)
    if not wanted:
        raise Invalid("Say which posts to delete.", field="status_ids")
    found = await session.exec(
        select(Post.id).where(col(Post.id).in_(wanted), Post.actor_id == target_id)
    )
    theirs = set(found.all())
    if missing := [i for i in wanted if i not in theirs]:
        raise Invalid(f"Post {missing[0]} is not one of this account's posts.", field="status_ids")
    return wanted


async def _resolve(
    session: AsyncSession, report: Report, moderator_id: int | None, now: datetime
) -> None:
    """Mark the report resolved and tell its reporter, in the caller's transaction."""
    assert report.id is not None
    values = {"resolved_at": now, "resolved_by_id": moderator_id, "updated_at": now}
    if not await states.move(
        session, Report, report.id, ReportState.open, ReportState.resolved, values=values
    ):
        raise Conflict("This report was changed meanwhile; look again.")
    audit.record(
        session,
        actor_id=moderator_id,
        verb="report.resolve",
        target_id=report.target_id,
        report_id=report.id,
        now=now,
    )
    if report.reporter_id is None:
        return
    taken = await session.exec(
        select(ModerationAction.kind).where(ModerationAction.report_id == report.id)
    )
    kinds = [ActionKind(k) for k in taken.all()]
    strongest = max(kinds, key=_STRENGTH.index) if kinds else None
    await moderation_notices.tell(
        session,
        recipient_id=report.reporter_id,
        kind=NoticeKind.report_outcome,
        text=OUTCOMES[strongest],
        report_id=report.id,
        now=now,
    )


async def resolve(
    session: AsyncSession, report_id: int, *, moderator_id: int | None, now: datetime
) -> Report:
    """Resolve a report without (further) action; its reporter is told; commits."""
    report = await reports.handled_by(session, report_id, moderator_id)
    if report.state != ReportState.open:
        raise Conflict("This report is resolved already.")
    await _resolve(session, report, moderator_id, now)
    await session.commit()
    await session.refresh(report)
    return report


async def add_note(
    session: AsyncSession, *, author_id: int, target_id: int, text: str, now: datetime
) -> AccountNote:
    """A moderator's note on an account, seen only by moderators; commits."""
    await roles.moderating(session, author_id)
    text = text.strip()
    if not text:
        raise Invalid("Write the note first.", field="text")
    if len(text) > MAX_NOTE:
        raise Invalid(f"Keep a note to {MAX_NOTE} characters.", field="text")
    if await session.get(Actor, target_id) is None:
        raise Invalid("There is no such account.", field="account_id")
    note = AccountNote(target_id=target_id, author_id=author_id, text=text, created_at=now)
    session.add(note)
    await session.flush()
    audit.record(
        session, actor_id=author_id, verb="note.add", target_id=target_id, detail=text, now=now
    )
    await session.commit()
    return note


async def standing(session: AsyncSession, actor_id: int) -> str:
    """How the account stands: "suspended", "limited" or "" (in good standing)."""
    actor = await session.get(Actor, actor_id)
    if actor is None:
        return ""
    member = (await session.exec(select(Member).where(Member.actor_id == actor_id))).first()
    if actor.suspended_at is not None or (member and member.state == MemberState.suspended):
        return "suspended"
    return "limited" if actor.limited_at is not None else ""
