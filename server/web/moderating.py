"""Moderators' pages: the queue of reports and appeals, one report with its context, and
the decisions taken on it (each citing a norm, each in the audit log)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID
from server.models import ActionKind, Report, ReportState
from server.services import (
    accounts,
    appeals,
    instance,
    moderation,
    norms,
    report_files,
    reports,
    roles,
    snapshot_states,
)
from server.services.accounts import Signed
from server.services.errors import Forbidden, Invalid, ServiceError
from server.web.context import community_norms, db, flash, now, redirect, render, require_member
from server.web.context import settings as settings_of
from server.web.forms import read_form, text
from server.web.params import path_id, query_id

#: The actions as the report page offers them, mildest first.
ACTIONS = [
    (ActionKind.dismiss, "Dismiss", "Nothing breaks the norms; the reporter is told so."),
    (ActionKind.warn, "Warn", "The member reads the warning with the norm it cites."),
    (
        ActionKind.delete_posts,
        "Delete posts",
        "The reported posts ticked below are deleted everywhere.",
    ),
    (
        ActionKind.limit,
        "Limit",
        "Their posts stay off public timelines and out of "
        "the notifications of people who do not follow them.",
    ),
    (
        ActionKind.suspend,
        "Suspend",
        "A member loses access; someone elsewhere stops federating here.",
    ),
]
KIND_WORDS = {kind: label for kind, label, _ in ACTIONS}


async def require_moderator(request: Request, session: AsyncSession) -> Signed:
    """The signed-in moderator or admin; members get 403."""
    me = await require_member(request, session)
    if not roles.can_moderate(me.member):
        raise HTTPException(403, "Only moderators and admins can open this page.")
    return me


#: Reports a page of the queue lists.
QUEUE_PAGE = 50


async def queue(request: Request) -> Response:
    """GET /moderation: open reports oldest first (?after= the last one seen), and
    appeals waiting; ?state=resolved lists decided reports, newest first (?before=)."""
    resolved = request.query_params.get("state") == "resolved"
    cursor = query_id(request, "before" if resolved else "after", most=MAX_SERIAL_ID)
    async with db(request) as session:
        me = await require_moderator(request, session)
        listed = await report_files.listing(
            session,
            state=ReportState.resolved if resolved else ReportState.open,
            newest_first=resolved,
            after_id=None if resolved else cursor,
            before_id=cursor if resolved else None,
            limit=QUEUE_PAGE + 1,
        )
        more = len(listed) > QUEUE_PAGE
        listed = listed[:QUEUE_PAGE]
        following = None
        if more:
            last = listed[-1].report.id
            following = (
                f"/moderation?state=resolved&before={last}"
                if resolved
                else (f"/moderation?after={last}")
            )
        context = {
            "reports": listed,
            "resolved": resolved,
            "following": following,
            "appeals": [] if resolved or cursor else await appeals.pending(session),
            "kind_words": KIND_WORDS,
            "is_admin": roles.is_admin(me.member),
        }
        return await render(request, session, "moderation_queue.html", context, me=me)


async def _report_for(session: AsyncSession, me: Signed, report_id: int) -> Report:
    """The report, unless it is about the moderator at hand: they never learn who reported
    them, nor decide about themselves."""
    try:
        return await reports.handled_by(session, report_id, me.actor_id)
    except Forbidden as refused:
        raise HTTPException(403, refused.message) from None


def _citations(found: norms.Norms) -> list[tuple[str, str]]:
    """What an action can cite: each of the community's rules, then every other norm."""
    cited = [(f"rule:{r.id}", f"Rule {r.id}: {r.text}") for r in instance.rules(found)]
    cited += [(f"norm:{n.name}", n.label) for n in norms.REGISTRY if n.name != "rules.text"]
    return cited


async def _report_page(
    request: Request,
    session: AsyncSession,
    me: Signed,
    report_id: int,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    await _report_for(session, me, report_id)
    shown = await report_files.show(session, report_id)
    people = {a.id for a in shown.actions if a.moderator_id} | {
        n.author_id for n in shown.notes if n.author_id
    }
    context = {
        "file": shown,
        "names": await accounts.names_of(session, {i for i in people if i is not None}),
        "appealed": {a.action_id: a for a in shown.appeals},
        "still_there": await snapshot_states.still_there(session, shown.posts),
        "actions": ACTIONS,
        "kind_words": KIND_WORDS,
        "citations": _citations(await community_norms(request, session)),
        "moderators": [
            m for m in await roles.moderators(session) if m.id not in (me.actor_id, shown.target.id)
        ],
        "error": error,
        "typed": typed or {},
    }
    status = error.status if error else 200
    return await render(request, session, "moderation_report.html", context, status=status, me=me)


async def report(request: Request) -> Response:
    """GET /moderation/reports/{id}: the report, its posts as reported, and the account's
    history with moderators."""
    report_id = path_id(request, "report_id")
    async with db(request) as session:
        me = await require_moderator(request, session)
        return await _report_page(request, session, me, report_id)


def cited(raw: str) -> tuple[str, str | None]:
    """(norm_key, rule_id) from the form's "rule:2" or "norm:pause.post_seconds"."""
    kind, _, value = raw.partition(":")
    if kind == "rule" and value:
        return "", value
    if kind == "norm" and value:
        return value, None
    if raw:
        raise Invalid("Choose a norm from the list.", field="norm")
    return "", None


def _ticked(values: Sequence[object]) -> list[int]:
    """The posts ticked for deletion; at least one, each a post id."""
    ids = [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 20]
    if not ids or len(ids) != len(values):
        raise Invalid("Tick the posts to delete.", field="post")
    return ids


async def act(request: Request) -> Response:
    """POST /moderation/reports/{id}/act: dismiss, warn, delete posts, limit or suspend,
    with a reason and the norm cited; the report is resolved and its reporter told."""
    form = await read_form(request)
    report_id = path_id(request, "report_id")
    typed = {k: text(form, k) for k in ("kind", "norm", "reason")}
    ticked = form.getlist("post")
    async with db(request) as session:
        me = await require_moderator(request, session)
        found = await _report_for(session, me, report_id)
        try:
            kind = moderation.parse_kind(typed["kind"])
            norm_key, rule_id = cited(typed["norm"])
            post_ids = _ticked(ticked) if kind is ActionKind.delete_posts else []
            await moderation.act(
                session,
                settings_of(request),
                moderator_id=me.actor_id,
                target_id=found.target_id,
                kind=kind,
                reason=typed["reason"],
                now=now(request),
                report_id=report_id,
                norm_key=norm_key,
                rule_id=rule_id,
                post_ids=post_ids,
            )
        except ServiceError as error:
            # Start clean: nothing the refused decision added is kept, nor anything read before.
            await session.rollback()
            session.expunge_all()
            me = await require_moderator(request, session)
            return await _report_page(request, session, me, report_id, error=error, typed=typed)
    flash(request, f"Done: {KIND_WORDS[kind].lower()}. The report is resolved.")
    return redirect("/moderation")


def _assignee(raw: str, me: Signed) -> int | None:
    """Whom the assign form names: "me", "nobody", or a moderator's account id."""
    if raw == "me":
        return me.actor_id
    if raw == "nobody":
        return None
    if raw.isdigit() and 0 < int(raw) <= MAX_SERIAL_ID:
        return int(raw)
    raise HTTPException(400, "Choose a moderator from the list, or let the report go.")


async def assign(request: Request) -> Response:
    """POST /moderation/reports/{id}/assign: take the report (to=me), give it to another
    moderator (to=their account id) or let it go (to=nobody)."""
    form = await read_form(request)
    report_id = path_id(request, "report_id")
    async with db(request) as session:
        me = await require_moderator(request, session)
        await _report_for(session, me, report_id)
        to = _assignee(text(form, "to"), me)
        try:
            await reports.assign(session, report_id, to, by_id=me.actor_id, now=now(request))
        except Forbidden:
            raise HTTPException(400, "Only moderators and admins can take a report.") from None
        given = await accounts.actor_by_id(session, to) if to not in (None, me.actor_id) else None
    if to is None:
        flash(request, "The report is nobody's now.")
    elif given is not None:
        flash(request, f"The report is @{given.handle}'s now.")
    else:
        flash(request, "The report is yours.")
    return redirect(f"/moderation/reports/{report_id}")


async def reopen(request: Request) -> Response:
    """POST /moderation/reports/{id}/reopen: put a decided report back in the queue."""
    await read_form(request)
    report_id = path_id(request, "report_id")
    async with db(request) as session:
        me = await require_moderator(request, session)
        await _report_for(session, me, report_id)
        await reports.reopen(session, report_id, moderator_id=me.actor_id, now=now(request))
    flash(request, "The report is open again.")
    return redirect(f"/moderation/reports/{report_id}")


async def forward(request: Request) -> Response:
    """POST /moderation/reports/{id}/forward: send it, anonymously, to the account's server."""
    await read_form(request)
    report_id = path_id(request, "report_id")
    async with db(request) as session:
        me = await require_moderator(request, session)
        await _report_for(session, me, report_id)
        sent = await reports.forward(session, report_id, moderator_id=me.actor_id, now=now(request))
        target = await accounts.actor_by_id(session, sent.target_id)
    flash(request, f"The report is on its way to {target.domain}, from the community.")
    return redirect(f"/moderation/reports/{report_id}")


async def note(request: Request) -> Response:
    """POST /moderation/reports/{id}/note: a note on the reported account, for moderators."""
    form = await read_form(request)
    report_id = path_id(request, "report_id")
    typed = {"note": text(form, "note")}
    async with db(request) as session:
        me = await require_moderator(request, session)
        found = await _report_for(session, me, report_id)
        try:
            await moderation.add_note(
                session,
                author_id=me.actor_id,
                target_id=found.target_id,
                text=typed["note"],
                now=now(request),
            )
        except ServiceError as error:
            # Start clean: nothing the refused note added is kept, nor anything read before.
            await session.rollback()
            session.expunge_all()
            me = await require_moderator(request, session)
            return await _report_page(request, session, me, report_id, error=error, typed=typed)
    flash(request, "Your note is kept with the account.")
    return redirect(f"/moderation/reports/{report_id}#notes")


async def decide(request: Request) -> Response:
    """POST /moderation/appeals/{id}: grant or turn down an appeal, telling the member why."""
    form = await read_form(request)
    appeal_id = path_id(request, "appeal_id")
    decision = text(form, "decision")
    if decision not in ("approve", "reject"):
        raise HTTPException(400, "Choose to grant the appeal or to keep the decision.")
    async with db(request) as session:
        me = await require_moderator(request, session)
        await appeals.decide(
            session,
            moderator_id=me.actor_id,
            appeal_id=appeal_id,
            approve=decision == "approve",
            outcome=text(form, "outcome"),
            now=now(request),
        )
    granted = "granted: the decision is lifted" if decision == "approve" else "turned down"
    flash(request, f"The appeal is {granted}, and the member is told.")
    return redirect("/moderation#appeals")


#: The forms on a report's page, by the last part of their path.
REPORT_ACTIONS = {
    "act": act,
    "assign": assign,
    "reopen": reopen,
    "forward": forward,
    "note": note,
}
