"""The gate every interaction with a post passes: its policy decides whether it goes
ahead, waits for the author's approval, or is refused.

Deciding is server/services/policy_reads.py; this module applies the decision: it
refuses with words a person can act on, and holds what needs approval as an
InteractionRequest the author sees in their waiting list (server/services/approvals.py
decides those).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, NotificationKind, OutboxKind, Post
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    PostPolicy,
    RequestState,
)
from server.services import asking, notifications, outbox, policy_reads
from server.services.errors import Forbidden, ServiceError
from server.services.interaction_policies import (
    REMOTE_DEFAULT,
    Audience,
    Decision,
    Policy,
    Rule,
    Standing,
    capped,
    decide,
)

#: What the author is told when something waits for them.
PENDING_KINDS = {
    Interaction.reply: NotificationKind.pending_reply,
    Interaction.like: NotificationKind.pending_like,
    Interaction.boost: NotificationKind.pending_boost,
    Interaction.quote: NotificationKind.pending_quote,
}

_NOUNS = {
    Interaction.reply: "replies",
    Interaction.like: "likes",
    Interaction.boost: "boosts",
    Interaction.quote: "quotes",
}


class Held(ServiceError):
    """Not an error: the interaction was kept and waits for the author's approval."""

    status = 202


@dataclass(frozen=True)
class Verdict:
    """A post's policy on one person's interaction."""

    decision: Decision
    #: Approved only through who follows whom, which other servers cannot check (the
    #: followers or following of GoToSocial's policies): an Accept must prove it.
    needs_proof: bool = False


async def _policy(session: AsyncSession, post: Post) -> Policy:
    """The post's policy, capped by its visibility; the community's default is read
    only for a member's post that has none of its own."""
    stored = await session.get(PostPolicy, post.id)
    if stored is not None:
        return capped(Policy.from_json(stored.policy), post.visibility)
    default = await policy_reads.community_now(session) if post.is_local else REMOTE_DEFAULT
    return capped(default, post.visibility)


async def judge(
    session: AsyncSession, post: Post, actor: Actor, interaction: Interaction, now: datetime
) -> Verdict:
    """Whether `actor` may do `interaction` with `post` now, after approval, or not."""
    if actor.id == post.actor_id:
        return Verdict(Decision.automatic)  # no reads: the author may always
    policy = await _policy(session, post)
    automatic = policy.rule(interaction).automatic
    if Audience.anyone in automatic:
        return Verdict(Decision.automatic)  # the usual case: nobody's standing matters
    standing = await policy_reads.standing_of(session, post, actor, now)
    decision = decide(policy, interaction, standing, post.visibility)
    seen_by_all = Standing(mentioned=standing.mentioned, uri=standing.uri)
    return Verdict(decision, decision == Decision.automatic and not seen_by_all.matches(automatic))


def _who(rule: Rule, name: str) -> str:
    """The people a rule lets in, in plain words."""
    words = {
        Audience.anyone: "anyone",
        Audience.followers: f"people who follow {name}",
        Audience.following: f"people {name} follows",
        Audience.mutuals: f"people {name} follows who follow back",
        Audience.mentioned: "people the post mentions",
    }
    named = [words[Audience(a)] for a in sorted(rule.automatic | rule.manual) if a in words]
    others = len(rule.automatic | rule.manual) - len(named)
    if others:
        named.append("people chosen by name")
    return ", ".join(named)


async def _author_name(session: AsyncSession, post: Post, unknown: str) -> str:
    """How the post's author is named in what a member is told."""
    author = await session.get(Actor, post.actor_id)
    return (author.display_name or author.username) if author is not None else unknown


async def _asked(
    session: AsyncSession, actor: Actor, post: Post, interaction: Interaction, way: Direction
) -> set[str]:
    """The live states (waiting, approved) of `actor`'s requests for `interaction` on
    `post` in direction `way`: empty when nothing was asked yet."""
    asked = await session.exec(
        select(InteractionRequest.state).where(
            col(InteractionRequest.actor_id) == actor.id,
            col(InteractionRequest.target_post_id) == post.id,
            col(InteractionRequest.kind) == interaction,
            col(InteractionRequest.direction) == way,
            col(InteractionRequest.state).in_((RequestState.pending, RequestState.accepted)),
        )
    )
    return set(asked.all())


async def refusal(session: AsyncSession, post: Post, interaction: Interaction) -> Forbidden:
    """The refusal to show someone the post's policy keeps out."""
    name = await _author_name(session, post, "The author")
    rule = (await _policy(session, post)).rule(interaction)
    who = _who(rule, name)
    noun = _NOUNS[interaction]
    if not who:
        return Forbidden(f"{name} takes no {noun} on this post.")
    return Forbidden(f"{name} only takes {noun} on this post from {who}.")


async def hold(
    session: AsyncSession,
    *,
    kind: Interaction,
    post: Post,
    actor: Actor,
    now: datetime,
    interacting_post_id: int | None = None,
    object_uri: str | None = None,
    request_uri: str | None = None,
    tell: bool = True,
) -> InteractionRequest:
    """Keep an interaction waiting for the post's author (in the caller's transaction);
    `tell`: the author hears of it now (a member's reply is told at its pause's end)."""
    row = await _incoming(
        session, kind, post, actor, now, interacting_post_id, object_uri, request_uri
    )
    if tell:
        await notifications.add(
            session,
            recipient_id=post.actor_id,
            kind=PENDING_KINDS[kind],
            from_actor_id=row.actor_id,
            post_id=post.id,
            now=now,
        )
    return row


def answer(
    session: AsyncSession,
    kind: OutboxKind,
    *,
    post: Post,
    actor_id: int | None,
    interaction: Interaction,
    object_uri: str | None,
    request_uri: str | None,
    now: datetime,
    authorization_id: str | None = None,
) -> None:
    """Record the Accept or Reject of someone elsewhere's interaction with `post`."""
    outbox.record(
        session,
        kind,
        post.actor_id,
        now=now,
        post_id=post.id,
        target_actor_id=actor_id,
        payload=outbox.InteractionAnswer(
            interaction=str(interaction),
            object_uri=object_uri,
            request_uri=request_uri,
            authorization_id=authorization_id,
        ),
    )


async def preapprove(
    session: AsyncSession,
    *,
    kind: Interaction,
    post: Post,
    actor: Actor,
    now: datetime,
    object_uri: str | None,
    request_uri: str | None = None,
    interacting_post_id: int | None = None,
) -> InteractionRequest:
    """An approval given at once by policy, kept so its authorization can be fetched."""
    return await _incoming(
        session, kind, post, actor, now, interacting_post_id, object_uri, request_uri, True
    )


async def _incoming(
    session: AsyncSession,
    kind: Interaction,
    post: Post,
    actor: Actor,
    now: datetime,
    interacting_post_id: int | None,
    object_uri: str | None,
    request_uri: str | None,
    approved: bool = False,
) -> InteractionRequest:
    """The row of someone's interaction with `post`: waiting, or approved now."""
    assert actor.id is not None
    row = InteractionRequest(
        kind=kind,
        direction=Direction.incoming,
        state=RequestState.accepted if approved else RequestState.pending,
        target_post_id=post.id,
        author_id=post.actor_id,
        actor_id=actor.id,
        interacting_post_id=interacting_post_id,
        object_uri=object_uri,
        request_uri=request_uri,
        created_at=now,
        decided_at=now if approved else None,
    )
    session.add(row)
    await session.flush()
    return row


async def screen(
    session: AsyncSession, actor: Actor, post: Post, interaction: Interaction, now: datetime
) -> None:
    """A member's like or boost of a post: goes ahead, or Forbidden, or Held (kept,
    committed, the author told)."""
    verdict = await judge(session, post, actor, interaction, now)
    decision = verdict.decision
    if decision == Decision.refused:
        raise await refusal(session, post, interaction)
    if (
        not post.is_local
        and actor.is_local
        and (decision == Decision.manual or verdict.needs_proof)
    ):
        await _ask_elsewhere(session, actor, post, interaction, now)
    elif decision == Decision.manual and post.is_local:
        found = await _asked(session, actor, post, interaction, Direction.incoming)
        if RequestState.accepted in found:
            return  # approved already (a redelivery of what the author approved)
        if not found:
            await hold(session, kind=interaction, post=post, actor=actor, now=now)
            await session.commit()
        name = await _author_name(session, post, "the author")
        noun = {Interaction.like: "like", Interaction.boost: "boost"}.get(interaction, "post")
        raise Held(f"Your {noun} waits for {name}'s approval.")


async def _ask_elsewhere(
    session: AsyncSession, actor: Actor, post: Post, interaction: Interaction, now: datetime
) -> None:
    """A member's like of a post elsewhere that its author's server must approve."""
    found = await _asked(session, actor, post, interaction, Direction.outgoing)
    if RequestState.accepted in found:
        return  # approved: goes ahead here
    if not found:
        await asking.ask(session, kind=interaction, post=post, actor=actor, now=now)
        await session.commit()
    name = await _author_name(session, post, "the author")
    raise Held(f"Your {interaction} waits for {name}'s approval; their server will answer.")


async def screen_reply(
    session: AsyncSession, author: Actor, parent: Post, now: datetime
) -> Decision:
    """A member's reply to `parent`, before it is written: Forbidden when refused."""
    decision = (await judge(session, parent, author, Interaction.reply, now)).decision
    if decision == Decision.refused:
        raise await refusal(session, parent, Interaction.reply)
    return decision


async def by_object(session: AsyncSession, uri: str) -> InteractionRequest | None:
    """The incoming request about the interaction `uri` (a Note, Like or Announce id)."""
    rows = await session.exec(
        select(InteractionRequest)
        .where(
            col(InteractionRequest.object_uri) == uri,
            col(InteractionRequest.direction) == Direction.incoming,
        )
        .order_by(col(InteractionRequest.id).desc())
    )
    return rows.first()


async def by_request(session: AsyncSession, uri: str) -> InteractionRequest | None:
    """The request another server sent (or Porch sent) with id `uri`."""
    rows = await session.exec(
        select(InteractionRequest).where(col(InteractionRequest.request_uri) == uri)
    )
    return rows.first()
