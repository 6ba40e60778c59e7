"""The audit log page: what moderators and admins decided, newest first, for admins."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.services import audit, roles
from server.web.context import db, render, require_member
from server.web.params import query_id

PAGE = 50

#: The kinds of entry, as the search form offers them.
VERBS = {
    "action.dismiss": "Dismissed a report",
    "action.warn": "Warned",
    "action.delete_posts": "Deleted posts",
    "action.limit": "Limited",
    "action.suspend": "Suspended",
    "report.resolve": "Resolved a report",
    "report.assign": "Took a report",
    "report.unassign": "Let a report go",
    "report.reopen": "Reopened a report",
    "report.forward": "Forwarded a report",
    "appeal.file": "Appealed",
    "appeal.approve": "Granted an appeal",
    "appeal.reject": "Turned down an appeal",
    "note.add": "Added a note",
    "role.set": "Changed a role",
    "member.approve": "Approved a sign-up",
    "member.reject": "Rejected a sign-up",
    "member.reinstate": "Reinstated",
}

#: How an entry reads: "@cleo warned @ben", "@cleo resolved a report about @ben".
SENTENCES = {
    "action.dismiss": "dismissed a report about",
    "action.warn": "warned",
    "action.delete_posts": "deleted posts of",
    "action.limit": "limited",
    "action.suspend": "suspended",
    "report.resolve": "resolved a report about",
    "report.assign": "took a report about",
    "report.unassign": "let go of a report about",
    "report.reopen": "reopened a report about",
    "report.forward": "forwarded a report about",
    "appeal.file": "appealed a decision",
    "appeal.approve": "granted the appeal of",
    "appeal.reject": "turned down the appeal of",
    "note.add": "added a note on",
    "role.set": "changed the role of",
    "member.approve": "approved the sign-up of",
    "member.reject": "rejected the sign-up of",
    "member.reinstate": "reinstated",
}


async def audit_page(request: Request) -> Response:
    """GET /admin/audit?q=&verb=&before=: entries matching a handle or words, by kind."""
    words = request.query_params.get("q", "").strip()[:100]
    verb = request.query_params.get("verb", "")
    if verb and verb not in VERBS:
        raise HTTPException(400, "Choose a kind of entry from the list.")
    before = query_id(request, "before")
    async with db(request) as session:
        me = await require_member(request, session)
        if not roles.is_admin(me.member):
            raise HTTPException(403, "Only admins can read the audit log.")
        found = await audit.search(
            session, text=words, verb=verb or None, before_id=before, limit=PAGE + 1
        )
        more = len(found) > PAGE
        found = found[:PAGE]
        older = None
        if more and found[-1].entry.id is not None:
            older = "/admin/audit?" + urlencode(
                {"q": words, "verb": verb, "before": found[-1].entry.id}
            )
        context = {"entries": found, "q": words, "verb": verb, "verbs": VERBS, "older": older}
        context["sentences"] = SENTENCES
        return await render(request, session, "admin_audit.html", context, me=me)
