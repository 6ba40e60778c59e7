"""Applying a verified incoming activity: what each type means, decided by the services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import approvals, deletions, flags, incoming, note_intake, policy_docs, quote_inbox
from federation.actors import Unresolvable, resolve
from federation.fetch import FetchError
from federation.incoming import Activity, Malformed, NoteDoc
from federation.origins import same_origin
from federation.runtime import Federation
from server.models import Actor, Follow
from server.services import (
    accounts,
    arrivals,
    blocks,
    follows,
    reactions,
    remote_actors,
    remote_policies,
    remote_posts,
)
from server.services.arrivals import Arrival
from server.services.errors import ServiceError

log = logging.getLogger(__name__)

Handler = Callable[[Federation, AsyncSession, Actor, Activity], Awaitable[None]]


async def apply(fed: Federation, session: AsyncSession, signer: Actor, activity: Activity) -> None:
    """Apply `activity`, signed by `signer`. Unknown types are accepted and ignored."""
    if activity.actor != signer.uri:
        await _forwarded(fed, session, activity)
        return
    handler = HANDLERS.get(activity.type)
    if handler is None:
        log.info("ignoring %s from %s", activity.type, signer.uri)
        return
    try:
        await handler(fed, session, signer, activity)
    except ServiceError as exc:
        # The rules say no (a like on a post they cannot see, a follow across a block):
        # nothing to retry, nothing to store.
        await session.rollback()  # expires `signer`: log the id the activity names
        log.info("%s from %s not applied: %s", activity.type, activity.actor, exc)


async def _object(fed: Federation, activity: Activity) -> dict[str, Any]:
    """The embedded object, or the object fetched from its id."""
    if activity.object is not None:
        return activity.object
    if activity.object_ref is None:
        raise Malformed(f"{activity.type} has no object.")
    try:
        return await fed.fetch(activity.object_ref)
    except FetchError as exc:
        raise Malformed(f"Could not fetch the object {activity.object_ref}: {exc}") from exc


async def _forwarded(fed: Federation, session: AsyncSession, activity: Activity) -> None:
    """Someone passed on another actor's activity: trust only what its origin serves now."""
    if activity.type not in ("Create", "Update", "Delete") or activity.object_ref is None:
        return
    if await fed.blocks(session, activity.object_ref):
        return
    if activity.type == "Delete":
        await deletions.apply_forwarded(fed, session, activity.object_ref)
        return
    try:
        data = await fed.fetch(activity.object_ref)
    except FetchError:
        return
    note = incoming.note_doc(data)
    try:
        author = await resolve(fed, session, note.attributed_to)
    except Unresolvable:
        return
    await approvals.store_screened(fed, session, author, note, store_note)


async def _relevant(fed: Federation, session: AsyncSession, note: NoteDoc, known: Arrival) -> bool:
    """Mastodon keeps only posts that concern someone here: a local follower of the
    author, a local person addressed or mentioned, or a reply to a local post."""
    if known.followed_here:
        return True
    if any(fed.urls.username_of(u) for u in note.to + note.cc + note.mentions):
        return True
    return await note_intake.local_post(fed, session, note.in_reply_to) is not None


async def store_note(
    fed: Federation,
    session: AsyncSession,
    author: Actor,
    note: NoteDoc,
    *,
    require_relevance: bool,
    held: bool = False,
) -> int | None:
    """Ingest a note by `author`; returns the post id, None when ignored. `held`: a reply
    waiting for approval, stored pending (federation/approvals.py)."""
    known = await arrivals.arrival(session, _id(author), note.id)
    if known.tombstoned:
        return None
    if require_relevance and not await _relevant(fed, session, note, known):
        log.info("ignoring %s: it concerns nobody here", note.id)
        return None
    if known.stored_id is not None and not known.waiting_roots:
        return known.stored_id  # stored already (a redelivery, or passed on)
    # ingest returns the stored post when this one was stored meanwhile.
    post = await remote_posts.ingest(
        session,
        author,
        await note_intake.remote_post(fed, session, author, note),
        fed.clock.now(),
        known,
        held,
    )
    return post.id


def _id(actor: Actor) -> int:
    assert actor.id is not None
    return actor.id


async def _note_from(fed: Federation, signer: Actor, activity: Activity) -> NoteDoc:
    note = incoming.note_doc(await _object(fed, activity))
    assert signer.uri is not None
    if note.attributed_to != signer.uri or not same_origin(note.id, signer.uri):
        raise Malformed("The object's id and attributedTo must be the sender's own.")
    return note


async def on_create(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    note = await _note_from(fed, signer, activity)
    relevant = not quote_inbox.quotes_here(fed, activity.object)  # a quote concerns its author
    post_id = await store_note(fed, session, signer, note, require_relevance=relevant)
    await quote_inbox.noted(fed, session, post_id, activity.object)


async def on_update(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    obj = await _object(fed, activity)
    if incoming.kind_of(obj) in incoming.ACTOR_TYPES:
        if incoming.ref(obj.get("id")) != signer.uri:
            raise Malformed("An actor can only update itself.")
        doc = incoming.actor_doc(obj)
        if doc.key_id != (await remote_actors.by_key_id_of(session, _id(signer))):
            # A changed key is only trusted from the actor's own server.
            await resolve(fed, session, doc.id, refresh=True)
            return
        await remote_actors.store(session, incoming.profile_from_actor(doc), fed.clock.now())
        return
    note = await _note_from(fed, signer, activity)
    post = await remote_posts.by_uri(session, note.id)
    if post is None or post.actor_id != signer.id:
        return
    await quote_inbox.noted(fed, session, post.id, obj)  # an approval comes as an Update
    if note.updated is None:
        # Mastodon re-sends a Question without `updated` as votes come in: new tallies,
        # not an edit (the "implicit update" of its ProcessStatusUpdateService); so it
        # sends a changed quote policy of a post never edited.
        policy = policy_docs.policy_from(
            note.interaction_policy, str(signer.uri), signer.followers_url
        )
        await remote_policies.replace_policy(session, post, policy)
        if note.poll_options is not None:
            await remote_posts.refresh_poll(session, post, note.poll_options, note.poll_voters)
        return
    await remote_posts.edit(
        session,
        post,
        await note_intake.remote_post(fed, session, signer, note),
        note.updated,
        fed.clock.now(),
    )


async def on_delete(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    target = activity.object_ref
    if target is None:
        raise Malformed("Delete has no object.")
    if target == signer.uri:
        await remote_actors.remove(session, signer, fed.clock.now())
        return
    if not same_origin(target, signer.uri or ""):
        raise Malformed("A Delete's object must be on the sender's own server.")
    if await quote_inbox.on_revoke(fed, session, signer, target):
        return
    post = await remote_posts.by_uri(session, target)
    if post is None:
        await remote_posts.tombstone(session, target, fed.clock.now())
    elif post.actor_id == signer.id:
        await remote_posts.remove(session, post, fed.clock.now())


async def _local_target(fed: Federation, session: AsyncSession, uri: str | None) -> Actor | None:
    username = fed.urls.username_of(uri) if uri else None
    if username is None:
        return None
    try:
        return await accounts.local_actor(session, username)
    except ServiceError:
        return None


async def on_follow(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    target = await _local_target(fed, session, activity.object_ref)
    if target is not None:
        await follows.follow(session, signer, target, fed.clock.now(), uri=activity.id)


async def _our_follow(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> Follow | None:
    """The local member's follow an Accept or Reject answers: by its id, or (as Mastodon
    also matches) by the embedded follower and followed."""
    ref = activity.object_ref
    token = fed.urls.activity_token_of(ref, "follow") if ref else None
    if token is not None:
        found = await follows.by_activity_id(session, token)
        if found is not None and found.followed_id == signer.id:
            return found
    embedded = activity.object or {}
    follower = await _local_target(fed, session, incoming.ref(embedded.get("actor")))
    if follower is None:
        return None
    return await follows.find(session, _id(follower), _id(signer))


async def on_accept(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    if await quote_inbox.on_answer(fed, session, signer, activity, accepted=True):
        return
    found = await _our_follow(fed, session, signer, activity)
    if found is not None:
        await follows.accepted_by_remote(session, found)


async def on_reject(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    if await quote_inbox.on_answer(fed, session, signer, activity, accepted=False):
        return
    found = await _our_follow(fed, session, signer, activity)
    if found is not None:
        await follows.remove(session, found)


async def on_undo(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    inner_id = activity.object_ref
    inner = activity.object or {}
    kind = inner.get("type")
    now = fed.clock.now()
    if inner_id is None:
        raise Malformed("Undo has no object.")
    if kind in (None, "Follow"):
        found = await follows.by_uri(session, inner_id)
        if found is None and kind == "Follow":
            target = await _local_target(fed, session, incoming.ref(inner.get("object")))
            found = await follows.find(session, _id(signer), _id(target)) if target else None
        if found is not None and found.follower_id == signer.id:
            await follows.remove(session, found)
            return
    if kind in (None, "Like"):
        like = await reactions.like_by_uri(session, inner_id)
        if like is not None and like.actor_id == signer.id:
            await reactions.unlike(session, signer, like.post_id, now)
            return
    if kind in (None, "Announce"):
        boost = await reactions.boost_by_uri(session, inner_id)
        if boost is not None and boost.actor_id == signer.id and boost.reblog_of_id:
            await reactions.unboost(session, signer, boost.reblog_of_id, now)
            return
    if kind in (None, "Block"):
        target = await _local_target(fed, session, incoming.ref(inner.get("object")))
        if target is not None:
            await blocks.unblock(session, signer, target, now)


async def on_like(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    post = await note_intake.local_post(fed, session, activity.object_ref)
    if post is not None:  # likes of other servers' posts are theirs to count
        await reactions.like(session, signer, post.id, fed.clock.now(), uri=activity.id)


async def on_announce(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    ref = activity.object_ref
    if ref is None:
        raise Malformed("Announce has no object.")
    if fed.urls.is_local(ref):
        local = await note_intake.local_post(fed, session, ref)
        post_id = local.id if local else None
    else:
        known = await remote_posts.by_uri(session, ref)
        post_id = known.id if known else None
    if post_id is None and not fed.urls.is_local(ref):
        if not await follows.has_local_follower(session, _id(signer)):
            return  # a boost nobody here will see
        if await fed.blocks(session, ref):
            return
        # Embedded copies are not trusted: the post is read from its own server.
        try:
            note = incoming.note_doc(await fed.fetch(ref))
            author = await resolve(fed, session, note.attributed_to)
        except (FetchError, Unresolvable, Malformed) as exc:
            log.info("could not load boosted post %s: %s", ref, exc)
            return
        post_id = await store_note(fed, session, author, note, require_relevance=False)
    if post_id is not None:
        await reactions.boost(session, signer, post_id, fed.clock.now(), uri=activity.id)


async def on_block(
    fed: Federation, session: AsyncSession, signer: Actor, activity: Activity
) -> None:
    target = await _local_target(fed, session, activity.object_ref)
    if target is not None:
        await blocks.block(session, signer, target, fed.clock.now(), uri=activity.id)


HANDLERS: dict[str, Handler] = {
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Undo": on_undo,
    "Like": on_like,
    "Announce": on_announce,
    "Block": on_block,
    "Flag": flags.on_flag,
    "QuoteRequest": quote_inbox.on_quote_request,
}
HANDLERS.update(approvals.screening(HANDLERS, store_note))
