"""Reports: members (and other servers, by Flag) ask moderators to look at an account.

A report keeps the reported posts as they read when reported (ReportedPost), so a later
edit or deletion changes nothing moderators see. The reporter is never named to the
person reported, nor to any other server: a forwarded report goes from the instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import (
    Actor,
    Attachment,
    OutboxKind,
    Post,
    PostState,
    Report,
    ReportCategory,
    ReportedPost,
    ReportState,
)
from server.models.moderation import REPORT_STATES
from server.services import audit, citations, moderation_notices, norms, outbox, roles, states
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from server.services.visibility import visible_to

MAX_COMMENT = 1000
#: As Mastodon: a report names at most this many posts.
MAX_POSTS = 100


def parse_category(raw: str | None, rule_ids: Sequence[str]) -> ReportCategory:
    """The category named `raw`; without one, "violation" when rules are cited (as
    Mastodon reads it) and "other" otherwise."""
    if not raw:
        return ReportCategory.violation if rule_ids else ReportCategory.other
    try:
        return ReportCategory(raw.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in ReportCategory)
        raise Invalid(f"A report's category is one of: {names}.", field="category") from None


def _comment(text: str) -> str:
    comment = text.strip().replace("\r\n", "\n")
    if len(comment) > MAX_COMMENT:
        raise Invalid(
            f"Keep the comment to {MAX_COMMENT} characters; it has {len(comment)}.",
            field="comment",
        )
    return comment


async def _snapshots(
    session: AsyncSession, target: Actor, post_ids: Sequence[int], viewer_id: int | None
) -> list[ReportedPost]:
    """The posts as they read now; Invalid unless each is the target's and (for a member's
    report) one the reporter can see."""
    wanted = list(dict.fromkeys(post_ids))
    if len(wanted) > MAX_POSTS:
        raise Invalid(f"A report names at most {MAX_POSTS} posts.", field="status_ids")
    if not wanted:
        return []
    query = select(Post).where(col(Post.id).in_(wanted), Post.actor_id == target.id)
    query = query.where(col(Post.state) == PostState.published)
    if viewer_id is not None:
        query = query.where(visible_to(viewer_id))
    found = {p.id: p for p in (await session.exec(query)).all()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(
            f"Post {missing[0]} is not one of @{target.handle}'s posts you can see.",
            field="status_ids",
        )
    described = await session.exec(
        select(Attachment.post_id, Attachment.description)
        .where(col(Attachment.post_id).in_(wanted))
        .order_by(col(Attachment.position))
    )
    media: dict[int, list[str]] = {}
    for post_id, description in described.all():
        if post_id is not None:
            media.setdefault(post_id, []).append(description)
    return [
        ReportedPost(
            report_id=0,
            post_id=post.id,
            uri=post.uri,
            url=post.url,
            content_html=post.content_html,
            spoiler_text=post.spoiler_text,
            visibility=str(post.visibility),
            media_descriptions=media.get(post.id, []),
            published_at=post.published_at,
            edited_at=post.edited_at,
        )
        for post in (found[i] for i in wanted)
    ]


async def _target(session: AsyncSession, target_id: int) -> Actor:
    target = await session.get(Actor, target_id)
    if target is None or target.acct_key.startswith("!"):
        raise NotFound("This account does not exist.")
    return target


async def file(
    session: AsyncSession,
    settings: Settings,
    *,
    reporter_id: int,
    target_id: int,
    post_ids: Sequence[int] = (),
    comment: str = "",
    category: str | None = None,
    rule_ids: Sequence[str] = (),
    forward: bool = False,
    now: datetime,
) -> Report:
    """A member reports an account, with any of its posts; commits.

    Refused (nothing stored): reporting oneself, an oversized comment, posts that are not
    the account's (or that the reporter cannot see), unknown rules, and more reports in a
    day than the `reports.per_day` norm allows. `forward` sends the report (without the
    reporter's name) to the account's server when it is elsewhere.
    """
    if reporter_id == target_id:
        raise Invalid("You cannot report yourself.", field="account_id")
    target = await _target(session, target_id)
    rule_list = [str(r) for r in dict.fromkeys(rule_ids)]
    kind = parse_category(category, rule_list)
    if kind is ReportCategory.violation and not rule_list:
        raise Invalid("Say which of the community's rules it breaks.", field="rule_ids")
    texts = await citations.rules(session, settings, rule_list)
    text = _comment(comment)
    limit = int((await norms.current(session, settings))["reports.per_day"])
    recent = await session.exec(
        select(func.count())
        .select_from(Report)
        .where(Report.reporter_id == reporter_id, col(Report.created_at) > now - timedelta(days=1))
    )
    if int(recent.one()) >= limit:
        raise RateLimited(
            f"You have sent {limit} reports today, as many as this community allows in a "
            "day. Moderators will read them; you can report more tomorrow.",
            retry_after=24 * 3600,
        )
    snapshots = await _snapshots(session, target, post_ids, reporter_id)
    report = Report(
        reporter_id=reporter_id,
        target_id=target_id,
        category=kind,
        comment=text,
        rule_ids=rule_list,
        rules_cited=texts,
        norm_version=await citations.version_of(session, citations.RULES),
        forward=forward and not target.is_local,
        state=REPORT_STATES.start(ReportState.open),
        created_at=now,
        updated_at=now,
    )
    await _store(session, report, snapshots)
    if report.forward:
        await _send_flag(session, report, reporter_id, now)
    await moderation_notices.tell_moderators(session, report, now)
    await session.commit()
    return report


async def _store(session: AsyncSession, report: Report, snapshots: list[ReportedPost]) -> None:
    session.add(report)
    await session.flush()
    assert report.id is not None
    for snapshot in snapshots:
        snapshot.report_id = report.id
        session.add(snapshot)


async def _send_flag(
    session: AsyncSession, report: Report, recorder_id: int, now: datetime
) -> None:
    """Queue the Flag to the account's server. The row names who asked for it only here;
    the Flag itself is built and signed as the instance (federation/builders.py)."""
    assert report.id is not None
    payload = outbox.Flagged(report_id=report.id)
    outbox.record(
        session,
        OutboxKind.flag,
        recorder_id,
        now=now,
        target_actor_id=report.target_id,
        payload=payload,
    )
    report.forwarded_at = now
    session.add(report)


async def forward(
    session: AsyncSession, report_id: int, *, moderator_id: int, now: datetime
) -> Report:
    """A moderator forwards a report about someone elsewhere to their server; commits."""
    report = await handled_by(session, report_id, moderator_id)
    target = await _target(session, report.target_id)
    if target.is_local:
        raise Invalid("This account is on this server: there is nowhere to forward it.")
    if report.origin_domain is not None:
        raise Invalid("This report came from another server; it is not sent back.")
    if report.forwarded_at is not None:
        raise Conflict("This report was forwarded already.")
    report.forward = True
    await _send_flag(session, report, moderator_id, now)
    audit.record(
        session,
        actor_id=moderator_id,
        verb="report.forward",
        target_id=report.target_id,
        report_id=report_id,
        detail=f"forwarded to {target.domain}",
        now=now,
    )
    await session.commit()
    return report


async def receive_flag(
    session: AsyncSession,
    settings: Settings,
    *,
    origin_domain: str,
    sender_id: int | None,
    uri: str,
    target_id: int,
    post_ids: Sequence[int],
    comment: str,
    now: datetime,
) -> Report:
    """Another server (`sender_id`, who sent the Flag) reports a member here; commits.
    The same Flag twice makes one report. Posts must be the member's; the comment is cut
    to the limit (a remote server is not asked to fix it)."""
    known = (await session.exec(select(Report).where(Report.uri == uri))).first()
    if known is not None:
        return known
    limit = int((await norms.current(session, settings))["reports.flags_per_day"])
    recent = await session.exec(
        select(func.count())
        .select_from(Report)
        .where(
            Report.origin_domain == origin_domain.lower(),
            col(Report.created_at) > now - timedelta(days=1),
        )
    )
    if int(recent.one()) >= limit:
        raise RateLimited(
            f"{origin_domain} has sent as many reports today as this server takes from one "
            f"server in a day ({limit}).",
            retry_after=24 * 3600,
        )
    target = await _target(session, target_id)
    if not target.is_local:
        raise Invalid("A Flag can only report someone on this server.")
    snapshots = await _snapshots(session, target, post_ids, None)
    report = Report(
        reporter_id=None,
        target_id=target_id,
        category=ReportCategory.other,
        comment=comment.strip()[:MAX_COMMENT],
        origin_domain=origin_domain.lower(),
        flagged_by_id=sender_id,
        uri=uri,
        norm_version=await citations.version_of(session, citations.RULES),
        state=REPORT_STATES.start(ReportState.open),
        created_at=now,
        updated_at=now,
    )
    await _store(session, report, snapshots)
    await moderation_notices.tell_moderators(session, report, now)
    await session.commit()
    return report


async def get(session: AsyncSession, report_id: int) -> Report:
    """The report, or NotFound."""
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound("There is no such report.")
    return report


#: Why a moderator may not handle a report about themselves.
ABOUT_YOU = "This report is about you: another moderator handles it."


async def handled_by(session: AsyncSession, report_id: int, moderator_id: int | None) -> Report:
    """The report, for a moderator to read or decide; Forbidden if it is about them: no
    one decides about themselves, nor learns who reported them. None is the command line."""
    await roles.moderating(session, moderator_id)
    report = await get(session, report_id)
    if moderator_id is not None and report.target_id == moderator_id:
        raise Forbidden(ABOUT_YOU)
    return report


async def _move(
    session: AsyncSession,
    report: Report,
    after: ReportState,
    values: Mapping[str, object],
    *,
    moderator_id: int | None,
    verb: str,
    now: datetime,
    detail: str = "",
) -> Report:
    assert report.id is not None
    before = ReportState(report.state)
    if not await states.move(
        session, Report, report.id, before, after, values={**values, "updated_at": now}
    ):
        raise Conflict("This report was changed meanwhile; look again.")
    audit.record(
        session,
        actor_id=moderator_id,
        verb=verb,
        target_id=report.target_id,
        report_id=report.id,
        detail=detail,
        now=now,
    )
    await session.commit()
    await session.refresh(report)
    return report


async def assign(
    session: AsyncSession, report_id: int, moderator_id: int | None, *, by_id: int, now: datetime
) -> Report:
    """Assign the report to a moderator (None: to nobody); commits. Neither the one who
    assigns nor the one it goes to may be the person reported."""
    report = await handled_by(session, report_id, by_id)
    if moderator_id is not None:
        await roles.moderating(session, moderator_id)
        if moderator_id == report.target_id:
            raise Invalid("This report is about them: give it to another moderator.")
    state = ReportState(report.state)
    verb = "report.assign" if moderator_id is not None else "report.unassign"
    return await _move(
        session,
        report,
        state,
        {"assignee_id": moderator_id},
        moderator_id=by_id,
        verb=verb,
        now=now,
    )


async def reopen(
    session: AsyncSession, report_id: int, *, moderator_id: int, now: datetime
) -> Report:
    """Put a resolved report back in the queue; commits."""
    report = await handled_by(session, report_id, moderator_id)
    if report.state != ReportState.resolved:
        raise Conflict("This report is open already.")
    values = {"resolved_at": None, "resolved_by_id": None}
    return await _move(
        session,
        report,
        ReportState.open,
        values,
        moderator_id=moderator_id,
        verb="report.reopen",
        now=now,
    )
