"""The admin API subset moderation apps use: reports and account actions (Mastodon's paths).

Every route needs an admin scope on the token AND a moderator or admin behind it:
members are refused with 403 whatever scopes their token holds.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities import instance as instance_entities
from server.api.mastodon.entities import moderation as entities
from server.api.mastodon.paging import paged
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import ActionKind, Actor, Member, Post, PostState, Report, ReportState
from server.services import instance, moderation, report_files, reports, roles
from server.services.post_views import PostView, complete

#: Mastodon's account action types, as Porch's actions. "sensitive" has no counterpart.
ACTION_TYPES = {
    "none": ActionKind.warn,
    "disable": ActionKind.suspend,
    "silence": ActionKind.limit,
    "suspend": ActionKind.suspend,
}


def _moderator(call: Call) -> int:
    roles.require_moderator(call.member)
    assert call.actor.id is not None
    return call.actor.id


async def _admin_accounts(call: Call, people: list[Actor]) -> dict[int, dict[str, Any]]:
    ids = [a.id for a in people if a.id is not None]
    members = await call.session.exec(select(Member).where(col(Member.actor_id).in_(ids)))
    by_actor = {m.actor_id: m for m in members.all()}
    rendered = {int(a["id"]): a for a in await render.accounts(call, people)}
    return {
        a.id: entities.admin_account(a, by_actor.get(a.id), rendered[a.id])
        for a in people
        if a.id is not None
    }


async def _statuses(call: Call, report: Report) -> list[dict[str, Any]]:
    """The reported posts still here, whatever their visibility (moderators read them)."""
    ids = await report_files.reported_post_ids(call.session, report)
    if not ids:
        return []
    rows = await call.session.exec(
        select(Post, Actor)
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id).in_(ids), Post.state == PostState.published)
    )
    views = await complete(call.session, call.viewer_id, [PostView(p, a) for p, a in rows.all()])
    return await render.statuses(call, views)


async def _entities(call: Call, found: list[Report]) -> list[dict[str, Any]]:
    wanted = {
        i
        for r in found
        for i in (r.reporter_id, r.flagged_by_id, r.target_id, r.assignee_id, r.resolved_by_id)
        if i is not None
    }
    people = list((await call.session.exec(select(Actor).where(col(Actor.id).in_(wanted)))).all())
    admin = await _admin_accounts(call, people)
    rules = {r.id: instance_entities.rule(r) for r in instance.rules(await call.norms())}
    out = []
    for row in found:
        out.append(
            entities.admin_report(
                row,
                reporter=admin.get(row.reporter_id or row.flagged_by_id or 0),
                target=admin[row.target_id],
                assignee=admin.get(row.assignee_id) if row.assignee_id else None,
                resolver=admin.get(row.resolved_by_id) if row.resolved_by_id else None,
                statuses=await _statuses(call, row),
                rules=[rules[i] for i in row.rule_ids if i in rules],
            )
        )
    return out


def _id_param(call: Call, name: str) -> int | None:
    raw = call.params.text(name)
    if not raw:
        return None
    found = parse_id(raw, most=MAX_SERIAL_ID)
    if found is None:
        raise ApiError(422, f"{name} must be an account id.")
    return found


@endpoint("admin:read:reports")
async def list_reports(call: Call) -> Response:
    """GET /api/v1/admin/reports: open reports (resolved=true: resolved ones), newest first."""
    _moderator(call)
    resolved = call.params.flag("resolved")
    limit = max(1, min(call.params.number("limit", 100) or 100, 200))
    since = call.params.number("since_id") or call.params.number("min_id")
    summaries = await report_files.listing(
        call.session,
        state=ReportState.resolved if resolved else ReportState.open,
        reporter_id=_id_param(call, "account_id"),
        target_id=_id_param(call, "target_account_id"),
        not_about=call.actor.id,
        before_id=call.params.number("max_id"),
        after_id=since,
        newest_first=True,
        limit=limit,
    )
    found = [s.report for s in summaries]
    return paged(call.request, await _entities(call, found), [r.id or 0 for r in found])


async def _one(call: Call, report_id: int | None = None) -> Response:
    found = await reports.handled_by(call.session, report_id or call.path_id(), call.actor.id)
    return JSONResponse((await _entities(call, [found]))[0])


@endpoint("admin:read:reports")
async def show_report(call: Call) -> Response:
    """GET /api/v1/admin/reports/:id."""
    _moderator(call)
    return await _one(call)


@endpoint("admin:write:reports")
async def assign_to_self(call: Call) -> Response:
    me = _moderator(call)
    done = await reports.assign(call.session, call.path_id(), me, by_id=me, now=call.now)
    return await _one(call, done.id)


@endpoint("admin:write:reports")
async def unassign(call: Call) -> Response:
    me = _moderator(call)
    done = await reports.assign(call.session, call.path_id(), None, by_id=me, now=call.now)
    return await _one(call, done.id)


@endpoint("admin:write:reports")
async def resolve(call: Call) -> Response:
    me = _moderator(call)
    done = await moderation.resolve(call.session, call.path_id(), moderator_id=me, now=call.now)
    return await _one(call, done.id)


@endpoint("admin:write:reports")
async def reopen(call: Call) -> Response:
    me = _moderator(call)
    done = await reports.reopen(call.session, call.path_id(), moderator_id=me, now=call.now)
    return await _one(call, done.id)


@endpoint("admin:read:accounts")
async def show_account(call: Call) -> Response:
    """GET /api/v1/admin/accounts/:id: anyone Porch knows, with their standing here."""
    _moderator(call)
    actor = await call.session.get(Actor, call.path_id())
    if actor is None or actor.acct_key.startswith("!"):
        raise ApiError(404, "Record not found")
    return JSONResponse((await _admin_accounts(call, [actor]))[actor.id or 0])


@endpoint("admin:write:accounts")
async def account_action(call: Call) -> Response:
    """POST /api/v1/admin/accounts/:id/action: none (a warning), silence (limit), disable
    or suspend, optionally answering a report (which it resolves, citing its first rule)."""
    me = _moderator(call)
    kind_name = (call.params.text("type") or "none").strip().lower()
    if kind_name == "sensitive":
        raise ApiError(422, "Porch has no sensitive-media action; use none (a warning) or silence.")
    if kind_name not in ACTION_TYPES:
        raise ApiError(422, "type must be one of: none, disable, silence, suspend.")
    report_id = _id_param(call, "report_id")
    rule_id = None
    if report_id is not None:
        report = await reports.handled_by(call.session, report_id, me)
        rule_id = report.rule_ids[0] if report.rule_ids else None
    text = call.params.text("text") or ""
    await moderation.act(
        call.session,
        call.settings,
        moderator_id=me,
        target_id=call.path_id(),
        kind=ACTION_TYPES[kind_name],
        reason=text or f"Moderators chose: {kind_name}.",
        report_id=report_id,
        rule_id=rule_id,
        notify=kind_name == "none" or call.params.flag("send_email_notification", True),
        now=call.now,
    )
    return JSONResponse({})
