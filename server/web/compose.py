"""Writing: the composer, new posts and drafts (changing a post is in server/web/editing.py)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import replace

from markupsafe import Markup, escape
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID, parse_id
from server.models import CareKind, Post, Visibility
from server.services import (
    budgets,
    cards,
    care,
    composer_notes,
    drafts,
    experiment_arms,
    posts,
    preferences,
    reply_context,
    uploads,
)
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.services.posts import Composition
from server.services.reply_context import ReplyContext
from server.services.tone import ToneNudge
from server.web import attaching, policies, quoting
from server.web.context import (
    community_norms,
    db,
    flash,
    now,
    redirect,
    render,
    require_member,
    rules,
)
from server.web.forms import read_form, text
from server.web.params import form_id, path_id, query_id

log = logging.getLogger(__name__)

VISIBILITIES = [
    (Visibility.public, "Public", "Anyone can see it, on the local timeline too"),
    (Visibility.unlisted, "Unlisted", "Anyone with the link; kept off public timelines"),
    (Visibility.followers, "Followers only", "Only people who follow you"),
    (Visibility.direct, "Direct", "Only the people you @mention"),
]


def _composition(form: FormData) -> Composition:
    raw_visibility = text(form, "visibility", "public")
    try:
        visibility = Visibility(raw_visibility)
    except ValueError:
        raise HTTPException(422, f"“{raw_visibility}” is not a visibility Porch knows.") from None
    reply_to = form_id(
        text(form, "in_reply_to_id"), "The post you are replying to is not a valid id."
    )
    quote_of = form_id(text(form, "quote_of_id"), "The post you are quoting is not a valid id.")
    media_ids = None
    if text(form, "media_listed"):  # a draft's images, each kept unless unticked
        raw = [v for v in form.getlist("media_ids") if isinstance(v, str)]
        found = (parse_id(v, most=MAX_SERIAL_ID) for v in raw)
        media_ids = tuple(i for i in found if i is not None)
    return Composition(
        text=text(form, "text"),
        spoiler_text=text(form, "spoiler_text"),
        visibility=visibility,
        in_reply_to_id=reply_to,
        as_written=text(form, "tone") == "as_written",
        nudged=bool(text(form, "nudge_id")),
        intent=text(form, "intent") or None,
        tone_indicator=text(form, "tone_indicator") or None,
        media_ids=media_ids,
        chosen=policies.chosen_rules(form) or None,
        quote_of_id=quote_of,
    )


def _once_key(form: FormData, values: Composition) -> str | None:
    """The idempotency key of a new post from the composer: the form's own token and
    what it says, so the same form sent twice posts once, and words changed after going
    back make a new post."""
    token = text(form, "form_token")
    if not token:
        return None
    said = "\0".join(
        [
            values.text,
            values.spoiler_text,
            values.visibility,
            str(values.in_reply_to_id),
            str(values.quote_of_id),
        ]
    )
    return f"web:{token[:40]}:{hashlib.sha256(said.encode()).hexdigest()[:32]}"


def _marked(text: str, nudge: ToneNudge) -> Markup:
    """The text with the passages the tone check pointed at in <mark>, escaped."""
    parts, at = [], 0
    for flag in nudge.flags:
        parts.append(escape(text[at : flag.start]))
        parts.append(
            Markup('<mark title="{}">{}</mark>').format(flag.reason, text[flag.start : flag.end])
        )
        at = flag.end
    parts.append(escape(text[at:]))
    return Markup("").join(parts)


async def _reply_context(
    session: AsyncSession, me: Signed, reply_to: int | None, found: ReplyContext | None
) -> dict[str, object]:
    if reply_to is None:
        return {"parent": None, "parent_author": None, "context": None}
    if found is None:
        found = await reply_context.for_reply(session, me.actor, reply_to)
    return {"parent": found.parent, "parent_author": found.author, "context": found}


async def _form_page(
    request: Request,
    session: AsyncSession,
    me: Signed,
    values: Composition,
    *,
    action: str,
    error: ServiceError | None = None,
    draft_id: int | None = None,
    editing: Post | None = None,
    revising: Post | None = None,
    gone_out: Post | None = None,
    nudge: ToneNudge | None = None,
    nudge_id: int | None = None,
    choose_card: bool = False,
    replying: ReplyContext | None = None,
    form_token: str | None = None,
) -> Response:
    in_force = await rules(request, session, me.actor_id)
    budget = None
    if values.in_reply_to_id is None and editing is None and revising is None:
        budget = await posts.budget_of(session, me.actor, in_force, now(request))
    found = (await community_norms(request, session)).for_member(me.actor_id, now(request))
    newcomer_rules = None
    shown_for = found["newcomers.rules_posts"]
    fresh = shown_for and not (editing or revising)
    if (
        fresh
        and await budgets.written(session, me.actor, up_to=shown_for) < shown_for
        and await composer_notes.first_showing_of_rules(session, me.actor_id, now(request))
    ):
        newcomer_rules = found["rules.text"]
    replying_to = await _reply_context(session, me, values.in_reply_to_id, replying)
    pause = None
    if not (editing or revising):
        author = replying_to["parent_author"]
        answered = getattr(author, "id", None)
        pause = composer_notes.spoken(
            await composer_notes.expected_pause(
                session, me.actor_id, answered, in_force, now(request)
            )
        )
    context = {
        "intents": found["intents.list"],
        "tone_indicators": found["tone.indicators"],
        "newcomer_rules": newcomer_rules,
        "nudge": nudge,
        "nudge_id": nudge_id,
        "marked": _marked(values.text, nudge) if nudge else None,
        "budget": budget,
        "spent": None if nudge or error else composer_notes.spent(budget, now(request)),
        "unconfirmed": in_force.confirmed_only and me.member.email_confirmed_at is None,
        "pause": pause,
        "revising": revising,
        "gone_out": gone_out,
        "values": values,
        "action": action,
        "error": error,
        "draft_id": draft_id,
        "editing": editing,
        "current": (editing or revising) if error and error.status == 409 else None,
        "draft_media": (
            await attaching.attached(session, me, values.media_ids)
            if values.media_ids is not None
            else (await drafts.media_of(session, me.actor_id, [draft_id]))[draft_id]
            if draft_id
            else []
        ),
        "max_images": uploads.MAX_ATTACHMENTS,
        "form_token": None if editing or revising else form_token or secrets.token_urlsafe(18),
        "visibilities": VISIBILITIES,
        "max_chars": in_force.max_chars,
        **replying_to,
        **await policies.composer_context(session, me.actor_id, values, in_force),
        **await quoting.compose_context(session, me, values.quote_of_id, now(request)),
    }
    if choose_card and context["context"] is not None:
        context["card"] = await cards.choose(
            session,
            me.actor_id,
            context["context"],
            found,
            in_force.slow_limits,
            now(request),
        )
    status = error.status if error else 200
    return await render(request, session, "compose.html", context, status=status, me=me)


async def compose_page(request: Request) -> Response:
    async with db(request) as session:
        me = await require_member(request, session)
        reply_to = query_id(request, "reply_to")
        draft_id = query_id(request, "draft", most=MAX_SERIAL_ID)
        replying: ReplyContext | None = None
        if draft_id is not None:
            draft = await drafts.draft_of(session, me.actor_id, draft_id)
            values = Composition(
                draft.text, draft.spoiler_text, Visibility(draft.visibility), draft.in_reply_to_id
            )
        else:
            values = Composition(
                text="",
                visibility=await preferences.default_visibility(session, me.actor_id),
                in_reply_to_id=reply_to,
                quote_of_id=query_id(request, "quote"),
            )
            if reply_to is not None:
                replying = await reply_context.for_reply(session, me.actor, reply_to)
                parent, author = replying.parent, replying.author
                # The full handle for someone elsewhere, as Mastodon fills it in: "@name"
                # alone would name a member here, so the reply would not mention them.
                mention = f"@{author.handle} " if author.id != me.actor_id else ""
                values = Composition(
                    mention, parent.spoiler_text, Visibility(parent.visibility), reply_to
                )
        return await _form_page(
            request,
            session,
            me,
            values,
            action="/posts",
            draft_id=draft_id,
            choose_card=True,
            replying=replying,
        )


async def _composer_again(
    request: Request,
    session: AsyncSession,
    me: Signed,
    form: FormData,
    values: Composition,
    *,
    error: ServiceError | None = None,
    nudge: ToneNudge | None = None,
    nudge_id: int | None = None,
) -> Response:
    """The new-post composer shown again with what the form sent: its words, its draft
    and its once-only token kept."""
    return await _form_page(
        request,
        session,
        me,
        values,
        action="/posts",
        error=error,
        draft_id=parse_id(text(form, "draft_id"), most=MAX_SERIAL_ID),
        nudge=nudge,
        nudge_id=nudge_id,
        form_token=text(form, "form_token"),
    )


async def card_didnt_fit(request: Request) -> Response:
    """POST /cards/{event_id}/didnt_fit: the member says the card did not fit. The button
    sends the composer's own form, so the reply comes back as it was typed."""
    form = await read_form(request)
    event_id = parse_id(str(request.path_params["event_id"]), most=MAX_SERIAL_ID)
    async with db(request) as session:
        me = await require_member(request, session)
        await care.answered(session, event_id, me.actor_id, "didnt_fit")
        flash(request, "Thank you: the admins will see that this card did not fit.")
        if "text" not in form:  # an older page's small form: only where the reply was going
            reply_to = parse_id(text(form, "reply_to"))
            return redirect(f"/compose?reply_to={reply_to}" if reply_to is not None else "/")
        values = _composition(form)
        return await _composer_again(request, session, me, form, values)


async def create(request: Request) -> Response:
    form = await read_form(request)
    values = _composition(form)
    draft_id = parse_id(text(form, "draft_id"), most=MAX_SERIAL_ID)
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            values = await attaching.with_uploads(request, session, me, form, values)
            post = await posts.compose(
                session,
                request.app.state.jobs,
                request.app.state.remote_lookup,
                me.actor,
                values,
                await rules(request, session, me.actor_id),
                now(request),
                replaces_draft_id=draft_id,
                nudge=True,
                idempotency_key=_once_key(form, values),
                confirmed=me.member.email_confirmed_at is not None,
            )
        except ToneNudge as nudge:
            # Words still harsh after a nudge are the same moment: its event, not another.
            event_id = _nudge_id(form) if values.nudged else None
            if event_id is None:
                event_id = await care.shown(
                    session,
                    CareKind.tone_nudge,
                    now(request),
                    actor_id=me.actor_id,
                    post_id=values.in_reply_to_id,
                    arm=experiment_arms.SHOWN,
                )
            return await _composer_again(
                request, session, me, form, values, nudge=nudge, nudge_id=event_id
            )
        except ServiceError as error:
            log.info("post refused for %s: %s", me.actor.username, error.message)
            return await _composer_again(request, session, me, form, values, error=error)
        outcome = "as_written" if values.as_written else "rephrased"
        await care.answered(session, _nudge_id(form), me.actor_id, outcome)
        return redirect(f"/@{me.actor.username}/{post.id}")


async def attach(request: Request) -> Response:
    """POST /compose/attach: upload the chosen images and show the composer again with
    their previews and description and focus fields, everything typed kept."""
    form = await read_form(request)
    values = _composition(form)
    values = replace(values, media_ids=values.media_ids or ())
    async with db(request) as session:
        me = await require_member(request, session)
        error: ServiceError | None = None
        try:
            values = await attaching.with_uploads(request, session, me, form, values)
        except ServiceError as refused:
            log.info("images refused for %s: %s", me.actor.username, refused.message)
            error = refused
        return await _composer_again(request, session, me, form, values, error=error)


def _nudge_id(form: FormData) -> int | None:
    return parse_id(text(form, "nudge_id"), most=MAX_SERIAL_ID)


async def keep_draft(request: Request) -> Response:
    """POST /drafts: keep what was written (after a tone nudge, say) for later."""
    form = await read_form(request)
    values = _composition(form)
    async with db(request) as session:
        me = await require_member(request, session)
        await drafts.keep_as_draft(session, me.actor_id, values, now(request))
        await care.answered(session, _nudge_id(form), me.actor_id, "draft")
        flash(request, "Kept as a draft. Nobody sees it; take it up again whenever you like.")
        return redirect("/drafts")


async def drafts_page(request: Request) -> Response:
    async with db(request) as session:
        me = await require_member(request, session)
        found = await drafts.drafts_of(session, me.actor_id)
        media = await drafts.media_of(session, me.actor_id, [d.id for d in found if d.id])
        context = {"drafts": found, "media": media}
        return await render(request, session, "drafts.html", context, me=me)


async def discard(request: Request) -> Response:
    draft_id = path_id(request, "draft_id", most=MAX_SERIAL_ID)
    await read_form(request)
    async with db(request) as session:
        me = await require_member(request, session)
        await drafts.discard(session, me.actor_id, draft_id, now(request))
        flash(request, "Draft discarded.")
        return redirect("/drafts")
