"""What other servers say about quotes: answers to members' QuoteRequests, revocations
of authorizations they gave, and quotes in posts stored from elsewhere (FEP-044f).

Quote rows follow the requests; every state change goes through server/services/states.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, NotificationKind, OutboxKind, Post, PostState
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    Quote,
    QuoteState,
    RequestState,
)
from server.services import (
    events,
    notifications,
    outbox,
    relationships,
    signal_upkeep,
    states,
)


def _stale(session: AsyncSession, post_id: int) -> None:
    """The quoting post's documents and pages show the quote's new state."""
    events.announce(
        session,
        events.Event(events.EventKind.stale, post_id, topic="post"),
        events.Event(events.EventKind.post_edited, post_id),
        # Visitors' cached pages may not wait: a quote taken back is gone at once.
        events.Event(events.EventKind.stale, post_id, topic="thread"),
    )


async def move_quote(
    session: AsyncSession,
    post_id: int,
    before: QuoteState,
    after: QuoteState,
    now: datetime,
    authorization_uri: str | None = None,
) -> bool:
    """Move the quote of `post_id` (a quoting post) from `before` to `after`."""
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == post_id))).first()
    if quote is None or quote.id is None:
        return False
    values: dict[str, object] = {"decided_at": now}
    if authorization_uri is not None:
        values["authorization_uri"] = authorization_uri
    moved = await states.move(session, Quote, quote.id, before, after, values=values)
    if moved:
        _stale(session, post_id)
        if after == QuoteState.accepted:
            await count_in_ranking(session, post_id)
        elif before == QuoteState.accepted and quote.quoted_post_id is not None:
            quoted = await session.get(Post, quote.quoted_post_id)
            if quoted is not None:
                await signal_upkeep.uncount_quote(session, post_id, quoted)
    return moved


async def count_in_ranking(session: AsyncSession, quoting_id: int) -> None:
    """A quote now shown counts in the quoted thread's signals when its author is not a
    mutual of the quoted author: as a stranger's reply does, never as appreciation."""
    quoting = await session.get(Post, quoting_id)
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == quoting_id))).first()
    if quoting is None or quote is None or quote.quoted_post_id is None:
        return
    quoted = await session.get(Post, quote.quoted_post_id)
    if quoted is None or quoting.state != PostState.published:
        return
    if quoting.actor_id == quoted.actor_id:
        return
    found = (await relationships.between(session, quoting.actor_id, [quoted.actor_id]))[0]
    if not (found.following and found.followed_by):
        await signal_upkeep.count_quote(session, quoting, quoted)


async def ours(session: AsyncSession, activity_id: str) -> InteractionRequest | None:
    """A member's pending or accepted QuoteRequest, by the token its id carries."""
    return (
        await session.exec(
            select(InteractionRequest).where(
                col(InteractionRequest.activity_id) == activity_id,
                col(InteractionRequest.kind) == Interaction.quote,
                col(InteractionRequest.direction) == Direction.outgoing,
            )
        )
    ).first()


async def answered(
    session: AsyncSession,
    row: InteractionRequest,
    authorization_uri: str | None,
    now: datetime,
) -> bool:
    """The quoted post's server answered a member's QuoteRequest: approved with
    `authorization_uri` (checked by the caller), or refused (None; an approval taken
    back if given). Returns whether anything changed; an approval also sends an Update
    of the quoting post carrying the authorization."""
    assert row.id is not None and row.interacting_post_id is not None
    if authorization_uri is not None:
        moved = await states.move(
            session,
            InteractionRequest,
            row.id,
            RequestState.pending,
            RequestState.accepted,
            values={"decided_at": now, "authorization_uri": authorization_uri},
        )
        if moved:
            await move_quote(
                session,
                row.interacting_post_id,
                QuoteState.pending,
                QuoteState.accepted,
                now,
                authorization_uri,
            )
            outbox.record(
                session,
                OutboxKind.quote_approved,
                row.actor_id,
                now=now,
                post_id=row.interacting_post_id,
            )
        return moved
    if await states.move(
        session,
        InteractionRequest,
        row.id,
        RequestState.pending,
        RequestState.rejected,
        values={"decided_at": now},
    ):
        return await move_quote(
            session, row.interacting_post_id, QuoteState.pending, QuoteState.rejected, now
        )
    if await states.move(
        session,
        InteractionRequest,
        row.id,
        RequestState.accepted,
        RequestState.revoked,
        values={"decided_at": now},
    ):
        return await move_quote(
            session, row.interacting_post_id, QuoteState.accepted, QuoteState.revoked, now
        )
    return False


async def revoked_elsewhere(
    session: AsyncSession, authorization_uri: str, author: Actor, now: datetime
) -> bool:
    """Another server's member took back the authorization `authorization_uri`: every
    quote it approved here (a member's, or one stored from elsewhere) shows as removed.
    Only the quoted author may: the quoted post must be `author`'s."""
    changed = False
    rows = await session.exec(
        select(InteractionRequest).where(
            col(InteractionRequest.authorization_uri) == authorization_uri,
            col(InteractionRequest.author_id) == author.id,
        )
    )
    for row in rows.all():
        changed = await answered(session, row, None, now) or changed
    quotes = await session.exec(
        select(Quote, Post)
        .join(Post, col(Post.id) == col(Quote.quoted_post_id))
        .where(
            col(Quote.authorization_uri) == authorization_uri,
            col(Quote.state) == QuoteState.accepted,
            col(Post.actor_id) == author.id,
        )
    )
    for quote, _ in quotes.all():
        changed = (
            await move_quote(session, quote.post_id, QuoteState.accepted, QuoteState.revoked, now)
            or changed
        )
    return changed


async def noted(
    session: AsyncSession,
    post: Post,
    quoted_uri: str,
    quoted_post_id: int | None,
    authorization_uri: str | None,
    now: datetime,
) -> None:
    """A post from elsewhere quotes `quoted_uri`. As on Mastodon it is shown as a quote
    only once approved: a self-quote, or an authorization the caller verified
    (`authorization_uri`); until then it waits as pending."""
    quote = (await session.exec(select(Quote).where(col(Quote.post_id) == post.id))).first()
    quoted = await session.get(Post, quoted_post_id) if quoted_post_id is not None else None
    own = quoted is not None and quoted.actor_id == post.actor_id
    approved = own or authorization_uri is not None
    if quote is None:
        session.add(
            Quote(
                post_id=post.id,
                quoted_post_id=quoted_post_id,
                quoted_uri=quoted_uri,
                state=QuoteState.accepted if approved else QuoteState.pending,
                authorization_uri=authorization_uri,
                created_at=now,
                decided_at=now if approved else None,
            )
        )
        _stale(session, post.id)
        if approved:
            await count_in_ranking(session, post.id)
        return
    if quote.quoted_post_id is None and quoted_post_id is not None:
        quote.quoted_post_id = quoted_post_id  # fetched since
        session.add(quote)
    if approved and quote.state == QuoteState.pending:
        await move_quote(
            session, post.id, QuoteState.pending, QuoteState.accepted, now, authorization_uri
        )


async def quoted_edited(session: AsyncSession, post: Post, now: datetime) -> None:
    """`post` was edited: members who quoted it with approval are told (Mastodon's
    `quoted_update`, naming their quote); the quote shows the new words by itself."""
    rows = await session.exec(
        select(Post.id, Post.actor_id)
        .join(Quote, col(Quote.post_id) == col(Post.id))
        .where(
            col(Quote.quoted_post_id) == post.id,
            col(Quote.state) == QuoteState.accepted,
            col(Post.uri).is_(None),  # members' quotes only
        )
    )
    for quoting_id, quoter_id in rows.all():
        await notifications.add(
            session,
            recipient_id=quoter_id,
            kind=NotificationKind.quoted_update,
            from_actor_id=post.actor_id,
            post_id=quoting_id,
            now=now,
        )
