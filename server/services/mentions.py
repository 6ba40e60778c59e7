"""Who a post's mentions name: members here by username and people elsewhere by id,
found in one query however many the post mentions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState
from server.services import usernames


@dataclass
class Named:
    """The people found: members here by normalised username, others by actor id (uri)."""

    here: dict[str, Actor] = field(default_factory=dict)
    elsewhere: dict[str, Actor] = field(default_factory=dict)

    def local(self, username: str) -> Actor | None:
        return self.here.get(usernames.normalise(username))


async def named(
    session: AsyncSession, local_usernames: Collection[str], uris: Collection[str]
) -> Named:
    """The active members called `local_usernames` (any case) and the known people at
    `uris`. Suspended, rejected and not-yet-approved members are not found, as on their
    profile (accounts.local_actor)."""
    found = Named()
    keys = {usernames.normalise(name) for name in local_usernames}
    if not keys and not uris:
        return found
    here = and_(col(Actor.acct_key).in_(keys), col(Actor.domain).is_(None))
    rows = await session.exec(
        select(Actor, Member.state)
        .outerjoin(Member, col(Member.actor_id) == Actor.id)
        .where(or_(here, col(Actor.uri).in_(list(uris))))
    )
    for actor, state in rows.all():
        if actor.domain is None:
            if state is None or state == MemberState.active:
                found.here[actor.acct_key] = actor
        elif actor.uri is not None:
            found.elsewhere[actor.uri] = actor
    return found
