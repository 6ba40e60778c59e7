"""Reading posts' interaction policies and deciding one person's interaction with a post.

The rules are server/services/interaction_policies.py; this module brings them the
stored policy, the community's default, and how the person stands with the author.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import utcnow
from server.models import Actor, Mention, NormValue, Post
from server.models.interaction_policies import Interaction, PostPolicy
from server.services import relationships, shields
from server.services.interaction_policies import (
    REMOTE_DEFAULT,
    Decision,
    Policy,
    Standing,
    capped,
    decide,
)
from server.services.norm_settings import NormValues, build, in_force, norm_field, norms_of
from server.services.norms_registry import BY_NAME


@dataclass(frozen=True)
class CommunityPolicy:
    """The presets the community's norms name for members' posts."""

    reply: str = norm_field("interactions.reply")
    like: str = norm_field("interactions.like")
    boost: str = norm_field("interactions.boost")
    quote: str = norm_field("interactions.quote")

    def policy(self) -> Policy:
        return Policy.from_presets({i: getattr(self, i.value) for i in Interaction})


def community_default(found: NormValues) -> Policy:
    """The community's default policy for members' posts, from the norms in force."""
    return build(CommunityPolicy, found).policy()


async def community_now(session: AsyncSession) -> Policy:
    """The community's default policy, read from the `interactions.*` norms stored (for
    doors that have no norms at hand: the inbox, a Note served to another server)."""
    names = norms_of(CommunityPolicy)
    rows = await session.exec(
        select(NormValue.name, NormValue.value).where(col(NormValue.name).in_(names))
    )
    values, _ = in_force(rows.all(), {name: BY_NAME[name].default for name in names})
    return community_default(values)


async def policies_of(
    session: AsyncSession, posts: Sequence[Post], local_default: Policy
) -> dict[int, Policy]:
    """Each post's policy, capped by its visibility: the stored one, else the
    community's default for a member's post and the reading of silence for a remote one."""
    ids = [p.id for p in posts]
    stored: dict[int, Policy] = {}
    if ids:
        rows = await session.exec(select(PostPolicy).where(col(PostPolicy.post_id).in_(ids)))
        stored = {row.post_id: Policy.from_json(row.policy) for row in rows.all()}
    return {
        p.id: capped(
            stored.get(p.id) or (local_default if p.is_local else REMOTE_DEFAULT), p.visibility
        )
        for p in posts
    }


async def policy_of(session: AsyncSession, post: Post, local_default: Policy) -> Policy:
    """`post`'s policy, capped by its visibility (see `policies_of`)."""
    return (await policies_of(session, [post], local_default))[post.id]


async def store(session: AsyncSession, post_id: int, policy: Policy) -> None:
    """Keep `policy` as the post's own (within the caller's transaction)."""
    row = await session.get(PostPolicy, post_id)
    if row is None:
        session.add(PostPolicy(post_id=post_id, policy=policy.to_json()))
    else:
        row.policy = policy.to_json()
        session.add(row)


async def standing_of(
    session: AsyncSession, post: Post, actor: Actor, now: datetime | None = None
) -> Standing:
    """How `actor` stands with `post`'s author: follows either way, and mention."""
    assert actor.id is not None
    if actor.id == post.actor_id:
        return Standing(is_author=True, uri=actor.uri)
    relation = (await relationships.between(session, actor.id, [post.actor_id], now))[0]
    mentioned = (
        await session.exec(
            select(Mention.actor_id).where(
                col(Mention.post_id) == post.id, col(Mention.actor_id) == actor.id
            )
        )
    ).first() is not None
    return Standing(
        follows_author=relation.following,
        followed_by_author=relation.followed_by,
        mentioned=mentioned,
        uri=actor.uri,
    )


async def decision(
    session: AsyncSession,
    post: Post,
    actor: Actor,
    interaction: Interaction,
    local_default: Policy,
    now: datetime | None = None,
) -> Decision:
    """Whether `actor` may do `interaction` with `post` now, after approval, or not."""
    policy = await policy_of(session, post, local_default)
    standing = await standing_of(session, post, actor, now)
    found = decide(policy, interaction, standing, post.visibility)
    return await _shielded(session, post, actor, interaction, standing, found, now)


#: What a pile-on shield holds for its author's approval.
SHIELDED = frozenset({Interaction.reply, Interaction.quote})


async def _shielded(
    session: AsyncSession,
    post: Post,
    actor: Actor,
    interaction: Interaction,
    standing: Standing,
    found: Decision,
    now: datetime | None,
) -> Decision:
    """While the post's thread is shielded (server/services/shields.py), a reply or quote
    the policy lets through goes to its author's approval when it comes from someone
    unknown to them. Only ever stricter: what the policy refuses or holds stays so."""
    if found is not Decision.automatic or interaction not in SHIELDED:
        return found
    if standing.is_author or standing.follows_author or standing.followed_by_author:
        return found
    assert actor.id is not None
    held = await shields.holds(
        session, post, actor.id, mentioned=standing.mentioned, now=now or utcnow()
    )
    return Decision.manual if held else found
