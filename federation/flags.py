"""Incoming Flag: another server reports people or posts here, as Mastodon sends it.

Mastodon's Flag comes from the sending server's instance actor, its `object` a list of
the reported account's URI and its posts' URIs, its `content` the (optional) comment.
Each account named gets a report in the queue, showing which server sent it. A Flag
naming anything that is not on this server is refused whole: nothing is stored.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import incoming
from federation.html import plain_text
from federation.incoming import Activity, Malformed
from federation.runtime import Federation
from server.models import Actor, Post, PostState
from server.services import accounts, reports
from server.services.errors import ServiceError

#: More objects than this is not a report but a flood.
MAX_OBJECTS = 101


async def on_flag(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    """File one report per reported member, with the posts of theirs the Flag names."""
    uris = incoming.refs(activity.raw.get("object"))
    if not uris:
        raise Malformed("A Flag needs an object: the account and posts it reports.")
    if len(uris) > MAX_OBJECTS:
        raise Malformed(f"A Flag names at most {MAX_OBJECTS} objects.")
    people: dict[int, list[int]] = {}
    post_ids: list[int] = []
    for uri in uris:
        username = fed.urls.username_of(uri)
        if username is not None:
            try:
                actor = await accounts.local_actor(session, username)
            except ServiceError:
                raise Malformed(f"There is nobody at {uri} on this server.") from None
            assert actor.id is not None
            people.setdefault(actor.id, [])
            continue
        post_id = fed.urls.post_id_of(uri)
        if post_id is None:
            raise Malformed(f"{uri} is not on this server; a Flag reports people here.")
        post_ids.append(post_id)
    if post_ids:
        found = await session.exec(
            select(Post.id, Post.actor_id).where(
                col(Post.id).in_(post_ids),
                col(Post.actor_id).in_(select(Actor.id).where(col(Actor.domain).is_(None))),
                Post.state == PostState.published,
            )
        )
        authors = dict(found.all())
        for post_id in post_ids:
            if post_id not in authors:
                raise Malformed(f"There is no post {post_id} on this server.")
            people.setdefault(authors[post_id], []).append(post_id)
    origin = incoming.host(signer.uri or activity.actor)
    comment = activity.raw.get("content")
    text = comment if isinstance(comment, str) else ""
    for n, (target_id, theirs) in enumerate(sorted(people.items())):
        uri = activity.id if n == 0 else f"{activity.id}#{target_id}"
        try:
            await reports.receive_flag(
                session,
                origin_domain=origin,
                sender_id=signer.id,
                uri=uri,
                target_id=target_id,
                post_ids=theirs,
                comment=plain_text(text),
                now=fed.clock.now(),
            )
        except ServiceError as exc:
            raise Malformed(f"This Flag cannot be filed: {exc.message}") from None
