"""Setting policies: members' defaults per visibility, a new post's policy, and changing
one post's policy after it was written.

A new post's policy, first to last: what the author chose for the post, the rules its
intent brings, the author's default for its visibility, the community's norms; then
capped by its visibility (followers-only and direct posts are never boosted or quoted).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, OutboxKind, Post, PostState, Visibility
from server.models.interaction_policies import Interaction, PolicyDefault, PostPolicy
from server.services import intent_rules, outbox, policy_reads
from server.services.errors import NotFound
from server.services.interaction_policies import Policy, Rule, capped
from server.services.posting_rules import Rules

#: Visibilities a member sets a default for, in the order forms show them.
VISIBILITIES = (Visibility.public, Visibility.unlisted, Visibility.followers, Visibility.direct)


async def defaults_of(
    session: AsyncSession, actor_id: int, rules: Rules
) -> dict[Visibility, Policy]:
    """A member's default policy for each visibility: their own where they set one, else
    the community's; capped by the visibility."""
    community = rules.interactions.policy()
    rows = await session.exec(select(PolicyDefault).where(col(PolicyDefault.actor_id) == actor_id))
    own = {row.visibility: Policy.from_json(row.policy) for row in rows.all()}
    return {v: capped(own.get(v.value, community), v) for v in VISIBILITIES}


async def set_defaults(
    session: AsyncSession, actor_id: int, chosen: Mapping[Visibility, Policy], now: datetime
) -> None:
    """Keep a member's defaults for the visibilities in `chosen` (capped), and commit."""
    for visibility, policy in chosen.items():
        stored = capped(policy, visibility).to_json()
        row = await session.get(PolicyDefault, (actor_id, visibility.value))
        if row is None:
            row = PolicyDefault(actor_id=actor_id, visibility=visibility.value, policy=stored)
        row.policy, row.updated_at = stored, now
        session.add(row)
    await session.commit()


def intent_brings(rules: Rules, intent: str | None) -> Mapping[Interaction, str]:
    """The presets a post's intent sets, by interaction (none for most intents)."""
    if not intent:
        return {}
    return intent_rules.usable(rules.intent_rules, rules.intents).get(intent, {})


def _laid(
    base: Policy, rules: Rules, intent: str | None, chosen: Mapping[Interaction, Rule]
) -> Policy:
    policy = intent_rules.overlay(base, intent_brings(rules, intent))
    for interaction, rule in chosen.items():
        policy = policy.with_rule(interaction, rule)
    return policy


async def for_new_post(
    session: AsyncSession,
    author_id: int,
    visibility: Visibility,
    intent: str | None,
    rules: Rules,
    *,
    policy: Policy | None = None,
    chosen: Mapping[Interaction, Rule] | None = None,
) -> Policy:
    """The policy a new post gets (see the module's docstring). `policy`: a whole policy
    the author set for the post; `chosen`: the rules they changed for it, one by one."""
    if policy is None:
        row = await session.get(PolicyDefault, (author_id, visibility.value))
        base = Policy.from_json(row.policy) if row else rules.interactions.policy()
        policy = _laid(base, rules, intent, chosen or {})
    return capped(policy, visibility)


class Drafted(Protocol):
    """What of a composition decides its policy (server/services/posts.py Composition)."""

    @property
    def visibility(self) -> Visibility: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def policy(self) -> Policy | None: ...
    @property
    def chosen(self) -> Mapping[Interaction, Rule] | None: ...


async def for_draft(session: AsyncSession, author_id: int, draft: Drafted, rules: Rules) -> Policy:
    """The policy a new post composed as `draft` gets."""
    return await for_new_post(
        session,
        author_id,
        draft.visibility,
        draft.intent,
        rules,
        policy=draft.policy,
        chosen=draft.chosen,
    )


async def shown_for(
    session: AsyncSession, author_id: int, visibility: Visibility, intent: str | None, rules: Rules
) -> Policy:
    """What a new post would get with nothing chosen: what the composer shows first."""
    return await for_new_post(session, author_id, visibility, intent, rules)


async def of_post(session: AsyncSession, post: Post) -> Policy:
    """A member's post's policy, capped: stored when it was written, else the
    community's default (posts written before policies were kept)."""
    row = await session.get(PostPolicy, post.id)
    policy = Policy.from_json(row.policy) if row else await policy_reads.community_now(session)
    return capped(policy, post.visibility)


async def change(
    session: AsyncSession,
    author: Actor,
    post_id: int,
    chosen: Mapping[Interaction, Rule],
    rules: Rules,
    now: datetime,
    *,
    tell: bool = True,
) -> Policy:
    """Change the rules `chosen` of a member's own post; other servers hear the new
    policy in an Update once it is published (`tell` False: an edit's own Update, built
    when it is sent, carries it already). NotFound for anyone else's post."""
    post = await session.get(Post, post_id)
    if (
        post is None
        or post.actor_id != author.id
        or post.state == PostState.deleted
        or post.reblog_of_id is not None
    ):
        raise NotFound("Record not found")
    policy = await policy_reads.policy_of(session, post, rules.interactions.policy())
    for interaction, rule in chosen.items():
        policy = policy.with_rule(interaction, rule)
    policy = capped(policy, post.visibility)
    await policy_reads.store(session, post.id, policy)
    if tell and post.state == PostState.published:
        outbox.record(session, OutboxKind.update, author.id, now=now, post_id=post.id)
    await session.commit()
    return policy
