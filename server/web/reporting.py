"""A member reports an account (with any of its posts) to the community's moderators,
and sees the reports they sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.models import Actor, Post, PostState
from server.services import accounts, instance, post_reads, report_files, reports, timelines
from server.services.accounts import Signed
from server.services.errors import Invalid, NotFound, RateLimited, ServiceError
from server.services.paging import Window
from server.web.context import community_norms, db, flash, now, redirect, render, require_member
from server.web.context import settings as settings_of
from server.web.forms import read_form, text
from server.web.params import form_id, query_id

#: How many of the account's recent posts the form offers to include.
RECENT = 20

#: The categories as the form offers them, in Mastodon's order of the report flow.
CATEGORIES = [
    ("violation", "It breaks a community norm", "Say which one below."),
    ("spam", "It is spam", "Advertising, repeated posts, misleading links."),
    ("legal", "It is illegal", "Something that should not be online where you live."),
    ("other", "Something else", "Tell the moderators in your own words."),
]


@dataclass
class Typed:
    """What the member chose and wrote, kept when the report is refused."""

    post_ids: set[int] = field(default_factory=set)
    category: str = ""
    rule_ids: list[str] = field(default_factory=list)
    comment: str = ""
    forward: bool = False


async def _target(session: AsyncSession, raw: int | None) -> Actor:
    if raw is None:
        raise HTTPException(400, "Say whom you are reporting: this page needs ?account=.")
    return await accounts.actor_by_id(session, raw)


async def _posts(session: AsyncSession, me: Signed, target: Actor, chosen: set[int]) -> list[Post]:
    """The account's recent posts the member can see, with any they chose that are older."""
    page = await timelines.profile(
        session, me.actor_id, target, with_replies=True, window=Window(limit=RECENT)
    )
    posts = [v.post for v in page.items if v.post.reblog_of_id is None]
    listed = {p.id for p in posts}
    for post_id in sorted(chosen - listed, reverse=True):
        try:
            older = await post_reads.get_visible(session, me.actor_id, post_id)
        except NotFound:
            continue
        if older.actor_id == target.id and older.state == PostState.published:
            posts.insert(0, older)
    return [p for p in posts if p.state == PostState.published]


async def _page(
    request: Request,
    session: AsyncSession,
    me: Signed,
    target: Actor,
    typed: Typed,
    error: ServiceError | None = None,
) -> Response:
    if target.id == me.actor_id:
        raise Invalid("You cannot report yourself.")
    found = await community_norms(request, session)
    context = {
        "target": target,
        "posts": await _posts(session, me, target, typed.post_ids),
        "rules": instance.rules(found),
        "categories": CATEGORIES,
        "typed": typed,
        "error": error,
        "max_comment": reports.MAX_COMMENT,
    }
    status = error.status if error else 200
    response = await render(request, session, "report.html", context, status=status, me=me)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def report_page(request: Request) -> Response:
    """GET /report?account=<id>[&post=<id>]: the form, the given post already chosen."""
    account_id = query_id(request, "account")
    post_id = query_id(request, "post")
    async with db(request) as session:
        me = await require_member(request, session)
        target = await _target(session, account_id)
        typed = Typed(post_ids={post_id} if post_id is not None else set())
        return await _page(request, session, me, target, typed)


async def send(request: Request) -> Response:
    """POST /report: file the report; a refusal shows the form again as it was filled."""
    form = await read_form(request)
    account_id = form_id(text(form, "account"), "Say whom you are reporting.")
    message = "Choose the posts from the list."
    typed = Typed(
        post_ids={i for raw in form.getlist("post") if (i := form_id(str(raw), message))},
        category=text(form, "category"),
        rule_ids=[str(r) for r in form.getlist("rule")],
        comment=text(form, "comment"),
        forward=form.get("forward") == "on",
    )
    async with db(request) as session:
        me = await require_member(request, session)
        target = await _target(session, account_id)
        assert target.id is not None and me.actor_id is not None
        try:
            await reports.file(
                session,
                settings_of(request),
                reporter_id=me.actor_id,
                target_id=target.id,
                post_ids=sorted(typed.post_ids),
                comment=typed.comment,
                category=typed.category or None,
                # Rules are cited only for "breaks a community norm".
                rule_ids=typed.rule_ids if typed.category in ("", "violation") else [],
                forward=typed.forward,
                now=now(request),
            )
        except ServiceError as error:
            # Start clean: nothing the refused report added is kept, nor anything read before.
            await session.rollback()
            session.expunge_all()
            me = await require_member(request, session)
            target = await _target(session, account_id)
            return await _page(request, session, me, target, typed, error)
    flash(
        request,
        f"Thank you. Moderators will read your report about @{target.handle}; "
        "you will hear what they decide in your notifications.",
    )
    return redirect("/reports")


async def sent(request: Request) -> Response:
    """GET /reports: the reports a member sent, and whether they are decided."""
    async with db(request) as session:
        me = await require_member(request, session)
        mine = await report_files.of_reporter(session, me.actor_id)
        names = await accounts.names_of(session, {r.target_id for r in mine})
        context = {"reports": mine, "names": names}
        return await render(request, session, "reports_sent.html", context, me=me)
