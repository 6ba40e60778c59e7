"""Admin pages: members, sign-up approvals, suspensions, policies for other servers."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.models import DomainPolicy, MemberRole, MemberState
from server.services import accounts, domains, member_decisions, norms
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.web.context import db, flash, now, redirect, render, require_member, settings
from server.web.forms import read_form, text


async def require_admin(request: Request, session: AsyncSession) -> Signed:
    """The signed-in admin; 403 for anyone else (every admin page asks this first)."""
    me = await require_member(request, session)
    if me.member.role != MemberRole.admin:
        raise HTTPException(403, "Only admins can open this page.")
    return me


async def members(request: Request) -> Response:
    async with db(request) as session:
        me = await require_admin(request, session)
        everyone = await accounts.list_members(session)
        pending = [m for m in everyone if m.member.state == MemberState.pending]
        context = {"pending": pending, "members": everyone}
        return await render(request, session, "admin_members.html", context, me=me)


async def decision_page(request: Request) -> Response:
    """GET /admin/members/{username}/{action}: what the decision does, and its reason,
    to confirm (a plain form: no JavaScript needed)."""
    async with db(request) as session:
        me = await require_admin(request, session)
        return await _confirm(request, session, me)


async def _confirm(
    request: Request,
    session: AsyncSession,
    me: Signed,
    *,
    error: ServiceError | None = None,
    reason: str = "",
) -> Response:
    try:
        chosen = member_decisions.decision(str(request.path_params["action"]))
        found = await member_decisions.member_named(session, str(request.path_params["username"]))
        if error is None:
            member_decisions.check(me, found, chosen)
    except ServiceError as refused:
        flash(request, refused.message)
        return redirect("/admin/members")
    context = {"decision": chosen, "found": found, "error": error, "reason": reason}
    status = error.status if error else 200
    return await render(request, session, "admin_decision.html", context, status=status, me=me)


async def act(request: Request) -> Response:
    """POST /admin/members/{username}/{action}: approve, reject, suspend or reinstate,
    with a reason (needed to reject or suspend)."""
    form = await read_form(request)
    action = str(request.path_params["action"])
    if action not in member_decisions.DECISIONS:
        raise HTTPException(404)
    reason = text(form, "reason")
    async with db(request) as session:
        me = await require_admin(request, session)
        try:
            found = await member_decisions.decide(
                session,
                settings(request),
                admin=me,
                username=str(request.path_params["username"]),
                name=action,
                reason=reason,
                now=now(request),
            )
        except ServiceError as error:
            # Nothing half-done is kept; the page is drawn from fresh rows.
            await session.rollback()
            session.expunge_all()
            me = await require_admin(request, session)
            return await _confirm(request, session, me, error=error, reason=reason)
        done = member_decisions.DECISIONS[action].done
        flash(request, f"@{found.actor.username} is {done}.")
        return redirect("/admin/members")


async def domain_policies(request: Request) -> Response:
    async with db(request) as session:
        me = await require_admin(request, session)
        context: dict[str, object] = {
            "rows": await domains.with_policies(session),
            "troubled": await domains.not_answering(session),
            "error": None,
            "values": {},
        }
        return await render(request, session, "admin_domains.html", context, me=me)


async def set_domain_policy(request: Request) -> Response:
    """Block, limit or lift the policy for a server; the form says which."""
    form = await read_form(request)
    values = {k: text(form, k) for k in ("domain", "policy", "reason")}
    async with db(request) as session:
        me = await require_admin(request, session)
        try:
            policy = DomainPolicy(values["policy"])
            row = await domains.set_policy(
                session, values["domain"], policy, values["reason"], now(request)
            )
        except ValueError:
            raise HTTPException(400, "Choose block, limit or none.") from None
        except ServiceError as error:
            context = {
                "rows": await domains.with_policies(session),
                "error": error,
                "values": values,
            }
            return await render(
                request, session, "admin_domains.html", context, status=error.status, me=me
            )
        flash(request, f"{row.domain}: {POLICY_WORDS[policy]}.")
        return redirect("/admin/domains")


POLICY_WORDS = {
    DomainPolicy.block: "blocked",
    DomainPolicy.limit: "limited",
    DomainPolicy.none: "no longer blocked or limited",
}


async def norms_history(request: Request) -> Response:
    """GET /admin/norms/history: who changed which norm, when, and why."""
    async with db(request) as session:
        me = await require_admin(request, session)
        rows = await norms.history(session)
        names = await accounts.names_of(session, {r.actor_id for r in rows if r.actor_id})
        changes = [
            {
                "row": row,
                "label": norms.BY_NAME[row.name].label if row.name in norms.BY_NAME else row.name,
                "old": _shown(row.name, row.old_value),
                "new": _shown(row.name, row.new_value),
                "who": names.get(row.actor_id or 0, "the command line"),
            }
            for row in rows
        ]
        return await render(
            request, session, "admin_norms_history.html", {"changes": changes}, me=me
        )


def _shown(name: str, value: object) -> str:
    known = norms.BY_NAME.get(name)
    return known.show(value).replace("\n", " · ") if known else str(value)
