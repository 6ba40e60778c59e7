"""Building outgoing activities: one builder per outbox kind, the mirror of dispatch.HANDLERS.

Each builder reads its row's typed payload (server/services/outbox.py), turns domain
values into ActivityStreams with federation/outgoing.py, and says which inboxes hear it.
Ids come from the post an activity is about or from a token minted for it, never from a
row id, so no id is ever given to a second activity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import authorizations, keys, outgoing, quote_builders
from federation.documents import note_source, person_document
from federation.runtime import Federation
from server.models import Actor, OutboxItem, OutboxKind, Post, Report, ReportedPost, Visibility
from server.services import follows, outbox
from server.urls import Urls


@dataclass(frozen=True)
class Outgoing:
    """What every builder starts from: the row, its local sender and a session."""

    fed: Federation
    session: AsyncSession
    item: OutboxItem
    sender: Actor

    @property
    def urls(self) -> Urls:
        """This instance's URLs."""
        return self.fed.urls

    @property
    def me(self) -> str:
        """The sender's actor id."""
        return self.urls.actor(self.sender.username)

    async def target(self) -> Actor | None:
        """The one remote actor the row is for (follows, answers, blocks)."""
        if self.item.target_actor_id is None:
            return None
        return await self.session.get(Actor, self.item.target_actor_id)

    async def post(self, post_id: int | None) -> Post | None:
        """A post by id, local or remote; None when there is none (or no id)."""
        return await self.session.get(Post, post_id) if post_id is not None else None


@dataclass(frozen=True)
class Built:
    """An activity and where it goes (inbox URLs, repeats and local ones dropped later)."""

    activity: dict[str, Any]
    inboxes: list[str]
    #: Who signs it when not the row's actor: the instance, for a forwarded report.
    signer_id: int | None = None


Builder = Callable[[Outgoing], Awaitable[Built | None]]


def inbox_of(actor: Actor) -> str | None:
    """Where to deliver to someone: their server's shared inbox when it has one."""
    return actor.shared_inbox_url or actor.inbox_url


async def followers_inboxes(out: Outgoing) -> list[str]:
    """The inboxes of the sender's followers on other servers."""
    assert out.sender.id is not None
    people = await follows.remote_followers(out.session, out.sender.id)
    return [i for a in people if (i := inbox_of(a))]


async def post_audience(out: Outgoing, source: outgoing.NoteSource) -> list[str]:
    """Mentioned people, and unless direct, followers and the author of the parent."""
    post = source.post
    inboxes = [i for a in source.mentions if a.domain and (i := inbox_of(a))]
    if post.visibility != Visibility.direct:
        inboxes += await followers_inboxes(out)
        parent = await out.post(post.in_reply_to_id)
        author = await out.session.get(Actor, parent.actor_id) if parent else None
        if author is not None and author.domain and (i := inbox_of(author)):
            inboxes.append(i)
    return inboxes


async def _source(out: Outgoing) -> outgoing.NoteSource | None:
    post = await out.post(out.item.post_id)
    return await note_source(out.session, out.urls, post, out.sender) if post else None


async def build_create(out: Outgoing) -> Built | None:
    """Create(Note) of a post published after its pause."""
    source = await _source(out)
    if source is None:
        return None
    return Built(outgoing.create_from_post(out.urls, source), await post_audience(out, source))


async def build_update(out: Outgoing) -> Built | None:
    """Update(Note) of an edited post, with the id minted for this edit."""
    source = await _source(out)
    if source is None:
        return None
    token = outbox.read(out.item, outbox.Minted).activity_id
    edited_at = source.post.edited_at or out.fed.clock.now()
    activity = outgoing.update_from_post(out.urls, source, edited_at, token)
    return Built(activity, await post_audience(out, source))


async def build_delete(out: Outgoing) -> Built | None:
    """Delete of a post, to everyone who had it."""
    source = await _source(out)
    if source is None:
        return None
    to, cc = outgoing.addressing(out.urls, source)
    note_id = out.urls.post(out.sender.username, source.post.id)
    activity = outgoing.delete_from_post(out.me, note_id, to, cc)
    return Built(activity, await post_audience(out, source))


async def _announce(out: Outgoing, boost_id: int, original_id: int | None) -> Built | None:
    original = await out.post(original_id)
    author = await out.session.get(Actor, original.actor_id) if original else None
    if original is None or author is None:
        return None
    activity = outgoing.announce_from_boost(
        out.urls.post(out.sender.username, boost_id) + "/activity",
        out.me,
        out.urls.followers(out.sender.username),
        out.urls.of_post(original, author),
        out.urls.of_actor(author),
        out.item.created_at,
    )
    inboxes = await followers_inboxes(out)
    if author.domain and (i := inbox_of(author)):
        inboxes.append(i)
    return Built(activity, inboxes)


async def build_announce(out: Outgoing) -> Built | None:
    """Announce of a boost, to followers and the boosted author."""
    boost = await out.post(out.item.post_id)
    if boost is None or boost.id is None:
        return None
    return await _announce(out, boost.id, boost.reblog_of_id)


async def build_undo_announce(out: Outgoing) -> Built | None:
    """Undo of a boost that is gone: the Announce rebuilt from the payload."""
    gone = outbox.read(out.item, outbox.Unboost)
    built = await _announce(out, gone.boost_id, gone.post_id)
    return Built(outgoing.undo(built.activity, out.me), built.inboxes) if built else None


async def build_like(out: Outgoing) -> Built | None:
    """Like of another server's post, to its author."""
    post = await out.post(out.item.post_id)
    author = await out.session.get(Actor, post.actor_id) if post else None
    if post is None or author is None or not author.domain or not (i := inbox_of(author)):
        return None  # likes of local posts are told to nobody
    token = outbox.read(out.item, outbox.Sent).activity_id
    like_id = out.urls.activity("like", token)
    return Built(outgoing.simple(like_id, "Like", out.me, out.urls.of_post(post, author)), [i])


async def _to_person(out: Outgoing, kind: str) -> Built | None:
    """Follow or Block: sent to the person's own inbox, not their server's."""
    target = await out.target()
    if target is None or not target.inbox_url:
        return None
    token = outbox.read(out.item, outbox.Sent).activity_id
    activity_id = out.urls.activity(kind.lower(), token)
    activity = outgoing.simple(activity_id, kind, out.me, out.urls.of_actor(target))
    return Built(activity, [target.inbox_url])


async def build_follow(out: Outgoing) -> Built | None:
    """Follow of someone on another server."""
    return await _to_person(out, "Follow")


async def build_block(out: Outgoing) -> Built | None:
    """Block of someone on another server."""
    return await _to_person(out, "Block")


def undoing(build: Builder) -> Builder:
    """The builder of the Undo of what `build` builds, to the same inboxes."""

    async def build_undo(out: Outgoing) -> Built | None:
        built = await build(out)
        return Built(outgoing.undo(built.activity, out.me), built.inboxes) if built else None

    return build_undo


def answering(kind: str) -> Builder:
    """Accept or Reject of a remote person's Follow of the sender."""

    async def build_answer(out: Outgoing) -> Built | None:
        target = await out.target()
        answer = outbox.read(out.item, outbox.Answer)
        if target is None or not target.inbox_url or not answer.follow_uri:
            return None
        follow = {
            "id": answer.follow_uri,
            "type": "Follow",
            "actor": out.urls.of_actor(target),
            "object": out.me,
        }
        activity_id = out.urls.activity(kind.lower(), answer.activity_id)
        return Built(outgoing.simple(activity_id, kind, out.me, follow), [target.inbox_url])

    return build_answer


async def build_update_actor(out: Outgoing) -> Built | None:
    """Update(Person) after a profile change, to followers elsewhere."""
    doc = await person_document(out.session, out.urls, out.sender)
    token = outbox.read(out.item, outbox.Minted).activity_id
    followers = out.urls.followers(out.sender.username)
    return Built(outgoing.update_from_person(doc, followers, token), await followers_inboxes(out))


async def build_flag(out: Outgoing) -> Built | None:
    """A report forwarded to the reported person's server, as Mastodon sends it: from the
    instance actor, signed by it, naming the account and posts, never the reporter."""
    flagged = outbox.read(out.item, outbox.Flagged)
    report = await out.session.get(Report, flagged.report_id)
    target = await out.target()
    if report is None or target is None or not target.uri or not target.inbox_url:
        return None
    uris = await out.session.exec(
        select(ReportedPost.uri)
        .where(ReportedPost.report_id == report.id, col(ReportedPost.uri).is_not(None))
        .order_by(col(ReportedPost.id))
    )
    instance = await keys.instance_actor(out.session, out.urls)
    activity = outgoing.flag_from_report(
        out.urls.activity("flag", flagged.activity_id),
        out.urls.instance_actor(),
        [target.uri, *(u for u in uris.all() if u)],
        report.comment,
    )
    return Built(activity, [target.inbox_url], signer_id=instance.id)


async def build_nothing(out: Outgoing) -> Built | None:
    """Kinds recorded but not (yet) sent to anyone."""
    return None


BUILDERS: dict[OutboxKind, Builder] = {
    OutboxKind.create: authorizations.carrying_authorization(build_create),
    OutboxKind.update: build_update,
    OutboxKind.delete: build_delete,
    OutboxKind.announce: build_announce,
    OutboxKind.undo_announce: build_undo_announce,
    OutboxKind.like: build_like,
    OutboxKind.undo_like: undoing(build_like),
    OutboxKind.follow: build_follow,
    OutboxKind.undo_follow: undoing(build_follow),
    OutboxKind.accept_follow: answering("Accept"),
    OutboxKind.reject_follow: answering("Reject"),
    OutboxKind.block: build_block,
    OutboxKind.undo_block: undoing(build_block),
    OutboxKind.update_actor: build_update_actor,
    OutboxKind.delete_actor: build_nothing,
    OutboxKind.flag: build_flag,
    OutboxKind.quote_request: quote_builders.build_quote_request,
    OutboxKind.revoke_quote: quote_builders.build_revoke_quote,
    OutboxKind.quote_approved: quote_builders.build_quote_approved,
    **authorizations.BUILDERS,
}
