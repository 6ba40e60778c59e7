"""Posts: composing with a deliberate pause, withdrawing during it, deleting after.

Edits are in server/services/edits.py, drafts in server/services/drafts.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.ids import id_for_time
from server.models import (
    Actor,
    Attachment,
    Draft,
    Mention,
    Notification,
    OutboxKind,
    Post,
    PostState,
    PostTag,
    ScheduledPublish,
    Visibility,
)
from server.models.interaction_policies import Interaction, PostPolicy
from server.services import (
    approval_gate,
    budgets,
    content,
    counters,
    drafts,
    feeds,
    idempotency,
    media_files,
    moments,
    outbox,
    pauses,
    post_policies,
    post_reads,
    preferences,
    quotes,
    signal_upkeep,
    slow_mode,
    states,
    uploads,
    waiting_replies,
)
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from server.services.interaction_policies import Policy, Rule
from server.services.posting_rules import Rules
from server.services.remote_lookup import RemoteLookup, meet_mentioned
from server.urls import Urls

UNCONFIRMED = (
    "Confirm your email address before you post: follow the link we mailed you, or send "
    "it again from Settings > Email."
)


class PublishScheduler(Protocol):
    """Rings the doorbell for a scheduled publish; the database row is the truth."""

    async def schedule_publish(self, post_id: int, at: datetime) -> None: ...


@dataclass(frozen=True)
class Composition:
    """What a member typed, parsed; the same for new posts, edits and drafts."""

    text: str
    spoiler_text: str = ""
    visibility: Visibility = Visibility.public
    in_reply_to_id: int | None = None
    sensitive: bool = False
    language: str | None = None
    #: Uploads to attach, in order; None on an edit keeps the ones the post has.
    media_ids: tuple[int, ...] | None = None
    #: The author saw the tone nudge and chose to post as written.
    as_written: bool = False
    intent: str | None = None
    tone_indicator: str | None = None
    #: A whole interaction policy the author set for this post (an app's).
    policy: Policy | None = None
    #: Rules the author changed for this post, one by one, over what it would get.
    chosen: Mapping[Interaction, Rule] | None = None
    #: The post this one quotes (server/services/quotes.py).
    quote_of_id: int | None = None
    #: The author was shown the tone nudge for this reply already (the composer says
    #: so): shown again if still needed, never drawn as a holdout a second time.
    nudged: bool = False


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def check_composition(draft: Composition, rules: Rules) -> Composition:
    """The composition cleaned up, or Invalid with a message for its author."""
    text = draft.text.replace("\r\n", "\n").strip()
    if not text and not draft.media_ids:
        raise Invalid("Write something before posting.", field="text")
    if len(text) > rules.max_chars:
        over = len(text) - rules.max_chars
        raise Invalid(
            f"Posts are at most {rules.max_chars} characters; this one is {over} over.",
            field="text",
        )
    spoiler = " ".join(draft.spoiler_text.split())
    if len(spoiler) > 200:
        raise Invalid("Content warnings are at most 200 characters.", field="spoiler_text")
    language = draft.language.strip().lower() if draft.language else None
    if language and not _LANGUAGE.match(language):
        raise Invalid("language must be an ISO 639 code such as en or pt-BR.", field="language")
    intent = draft.intent or None
    if intent and intent not in rules.intents:
        raise Invalid("Choose what you are looking for from the list.", field="intent")
    indicator = draft.tone_indicator or None
    if indicator and indicator not in rules.tone_indicators:
        raise Invalid("Choose how your reply is meant from the list.", field="tone_indicator")
    return replace(
        draft,
        text=text,
        spoiler_text=spoiler,
        visibility=Visibility(draft.visibility),
        language=language or None,
        intent=intent,
        tone_indicator=indicator,
    )


async def render_text(
    session: AsyncSession, text: str, base_url: str
) -> tuple[content.Rendered, list[int]]:
    """The post's HTML, and the ids of the known people it mentions."""
    handles = content.mentioned_handles(text)
    known: dict[str, tuple[str, str, int]] = {}
    if handles:
        rows = await session.exec(
            select(Actor).where(col(Actor.acct_key).in_(handles), col(Actor.suspended_at).is_(None))
        )
        for actor in rows.all():
            assert actor.id is not None
            # Mentions link where Mastodon links them: the person's profile page.
            href = actor.url or actor.uri if actor.domain else f"{base_url}/@{actor.username}"
            known[actor.acct_key] = (actor.username, href or "", actor.id)
    rendered = content.render(text, {k: (v[0], v[1]) for k, v in known.items()}, base_url)
    return rendered, [known[name][2] for name in rendered.mentions]


def add_refs(session: AsyncSession, post_id: int, mention_ids: list[int], tags: list[str]) -> None:
    """The post's mentions and hashtags (the caller commits)."""
    for actor_id in mention_ids:
        session.add(Mention(post_id=post_id, actor_id=actor_id))
    for tag in tags:
        session.add(PostTag(post_id=post_id, tag=tag))


async def budget_of(
    session: AsyncSession, author: Actor, rules: Rules, now: datetime
) -> budgets.Budget:
    """How many top-level posts `author` has left today."""
    return await budgets.of(
        session,
        author,
        now,
        daily=rules.daily_posts,
        newcomer_daily=rules.newcomer_daily_posts,
        newcomer_days=rules.newcomer_days,
    )


async def _placed(
    session: AsyncSession,
    author: Actor,
    draft: Composition,
    rules: Rules,
    now: datetime,
    nudge: bool,
) -> tuple[int | None, pauses.Pause]:
    """Where a new post goes (its thread's root, None for a new thread) and its pause;
    refused when it may not be written now (budget spent, thread slowed, parent unseen)."""
    assert author.id is not None
    if draft.in_reply_to_id is None:
        budget = await budget_of(session, author, rules, now)
        budgets.refuse_if_spent(budget, now)
        return None, pauses.Pause(rules.pause_post)
    parent = await post_reads.get_visible(session, author.id, draft.in_reply_to_id)
    if parent.state != PostState.published:
        raise Invalid("You can reply once that post is published.")
    await approval_gate.screen_reply(session, author, parent, now)
    root = parent if parent.id == parent.root_id else await session.get(Post, parent.root_id)
    slowed = False
    if root is not None:
        slowed = await slow_mode.check(session, author.id, root, rules.slow_limits, now)
    pause = await pauses.reply_pause(
        session,
        author.id,
        parent.actor_id,
        draft,
        rules,
        now,
        nudge=nudge,
        no_advice=bool(parent.intent and "no advice" in parent.intent.lower()),
    )
    if slowed:
        pause = replace(pause, wait=max(pause.wait, rules.pause_hot_thread_reply))
    return parent.root_id, pause


async def _made_with(
    session: AsyncSession, author_id: int, key: str | None, now: datetime
) -> Post | None:
    post_id = await idempotency.post_for(session, author_id, key, now) if key else None
    return await session.get(Post, post_id) if post_id is not None else None


async def compose(
    session: AsyncSession,
    scheduler: PublishScheduler,
    lookup: RemoteLookup,
    author: Actor,
    draft: Composition,
    rules: Rules,
    now: datetime,
    replaces_draft_id: int | None = None,
    *,
    nudge: bool = False,
    idempotency_key: str | None = None,
    confirmed: bool = True,
) -> Post:
    """Write a new post as pending, with its scheduled publish, in one transaction.
    `confirmed`: whether the author's email address is confirmed (see Rules).

    When the post is a revised draft, the draft goes in the same transaction, and a
    draft's uploads go with it unless the composition names its own. With an
    `idempotency_key` (a retry, or a form sent twice) the key is stored in the same
    transaction too, and a key that made a post in the last hour gets that post back.
    People elsewhere it mentions are looked up through `lookup` first, whichever door
    the post came from, so it links and reaches them.
    """
    assert author.id is not None
    if rules.confirmed_only and not confirmed:
        raise Forbidden(UNCONFIRMED)
    if earlier := await _made_with(session, author.id, idempotency_key, now):
        return earlier
    if replaces_draft_id is not None and draft.media_ids is None:
        await drafts.draft_of(session, author.id, replaces_draft_id)
        held = (await drafts.media_of(session, author.id, [replaces_draft_id]))[replaces_draft_id]
        draft = replace(draft, media_ids=tuple(a.id for a in held if a.id is not None))
    draft = check_composition(draft, rules)
    if draft.language is None:  # unsaid: the language its author writes in, if chosen
        draft = replace(draft, language=(await preferences.of(session, author.id)).language or None)
    try:
        root_id, pause = await _placed(session, author, draft, rules, now, nudge)
    except ServiceError:
        # A request with the same key may have posted meanwhile and used up what this
        # one needed (the day's last post, the slowed thread's turn): answer with its post.
        if earlier := await _made_with(session, author.id, idempotency_key, now):
            return earlier
        raise
    quoting = None
    if draft.quote_of_id is not None:  # quoting is composing: its own checks and pause
        quoting = await quotes.check(session, author, draft.quote_of_id, now)
        # One draw per post: a nudge held back for the reply is not drawn again.
        nudge = nudge and not pause.nudge_held_out
        quoted = await quotes.pause(session, author, quoting, draft, rules, nudge)
        pause = pauses.Pause(
            max(pause.wait, quoted.wait), pause.nudge_held_out or quoted.nudge_held_out
        )
    # After the checks: a post that may not be written now costs no lookup elsewhere.
    await meet_mentioned(session, lookup, draft.text)
    publish_at = now + pause.wait
    post_id = id_for_time(publish_at)
    rendered, mention_ids = await render_text(session, draft.text, rules.base_url)
    post = Post(
        id=post_id,
        actor_id=author.id,
        in_reply_to_id=draft.in_reply_to_id,
        root_id=root_id or post_id,
        text=draft.text,
        content_html=rendered.html,
        spoiler_text=draft.spoiler_text,
        visibility=draft.visibility,
        sensitive=draft.sensitive,
        language=draft.language,
        intent=draft.intent,
        tone_indicator=draft.tone_indicator,
        state=PostState.pending,
        created_at=now,
        publish_at=publish_at,
    )
    session.add(post)
    await session.flush()
    if idempotency_key is not None:
        earlier_id = await idempotency.claim(session, author.id, idempotency_key, post_id, now)
        if earlier_id is not None:  # a request with the same key posted first: not twice
            await session.delete(post)
            await session.commit()
            return await session.get(Post, earlier_id) or post
    add_refs(session, post_id, mention_ids, rendered.tags)
    policy = await post_policies.for_draft(session, author.id, draft, rules)
    session.add(PostPolicy(post_id=post_id, policy=policy.to_json()))
    if quoting is not None:
        session.add(quotes.start(post, quoting, Urls(rules.base_url)))
    await waiting_replies.hold_reply(session, author, post, now)
    await uploads.claim(session, author.id, draft.media_ids or (), post_id)
    session.add(ScheduledPublish(post_id=post_id, run_at=publish_at, created_at=now))
    await moments.paused(
        session, post, now, quoting=quoting is not None, arm=rules.arm, held=pause.nudge_held_out
    )
    if replaces_draft_id is not None:
        await drafts.posted(session, author.id, replaces_draft_id, now)
    await feeds.place(session, post, new=True)  # in its pause: its author's home only
    await session.commit()
    await scheduler.schedule_publish(post_id, publish_at)
    return post


async def refuse_not_pending(session: AsyncSession, author: Actor, post_id: int) -> None:
    """Raise why a change meant for a post in its pause could not be made."""
    post = await session.get(Post, post_id, populate_existing=True)
    if post is None or post.actor_id != author.id or post.state == PostState.deleted:
        raise NotFound("This post does not exist any more.")
    raise Conflict(
        "Your post was published before this change arrived, so the change was not applied. "
        "Your text is still here: copy it into a new post or a reply if you need it."
    )


async def withdraw(session: AsyncSession, author: Actor, post_id: int, now: datetime) -> Draft:
    """Take a post back during its pause; its words and uploads return to the author as
    a draft."""
    # First a conditional write that only a pending post passes: from here the publish
    # (a conditional update too) waits for this transaction, then finds nothing.
    held = await states.move(
        session,
        Post,
        post_id,
        PostState.pending,
        PostState.pending,
        values={"version": col(Post.version) + 1},
        where=[col(Post.actor_id) == author.id],
    )
    if not held:
        await refuse_not_pending(session, author, post_id)
    post = await session.get(Post, post_id, populate_existing=True)
    assert post is not None
    draft = await drafts.keep_withdrawn(session, post, now)
    await session.exec(delete(ScheduledPublish).where(col(ScheduledPublish.post_id) == post_id))
    # The hold above keeps it pending until this transaction ends.
    if not await states.leave(session, Post, post_id, PostState.pending):
        await refuse_not_pending(session, author, post_id)
    await session.commit()
    return draft


async def delete_published(
    session: AsyncSession, author: Actor, post_id: int, now: datetime
) -> None:
    """Delete a published post: its text is wiped and it disappears from every page."""
    post = await session.get(Post, post_id)
    if post is None or post.actor_id != author.id or post.state == PostState.deleted:
        raise NotFound("This post does not exist any more.")
    if post.state == PostState.pending:
        raise Conflict("This post is still in its pause: withdraw it instead.")
    # Conditional, so two deletes at once send one Delete, and an edit racing it loses.
    done = await states.move(
        session,
        Post,
        post_id,
        PostState.published,
        PostState.deleted,
        values={
            "text": "",
            "content_html": "",
            "spoiler_text": "",
            "deleted_at": now,
            "version": col(Post.version) + 1,
        },
    )
    if not done:
        raise NotFound("This post does not exist any more.")
    await counters.unpublished(session, post)
    await session.refresh(post)
    # Its uploads stay a day, as on Mastodon, for an app's delete-and-redraft.
    await media_files.release(session, col(Attachment.post_id) == post_id, now)
    await session.exec(delete(Notification).where(col(Notification.post_id) == post_id))
    await session.exec(delete(PostTag).where(col(PostTag.post_id) == post_id))
    await signal_upkeep.forget(session, post)
    await feeds.place(session, post)  # deleted: out of every feed
    outbox.record(session, OutboxKind.delete, author.id, now=now, post_id=post_id)
    await session.commit()
