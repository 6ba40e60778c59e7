"""Quote posts: quoting with the quoted author's consent, as Mastodon 4.5 does (FEP-044f).

A quote is composing: it gets the pause and the tone care replies get, the stranger
pause when the quoted author is not a mutual, and the quoted post's policy decides
whether it goes ahead, waits for the author, or may not be written. What a reader is
shown of a quoted post is decided here too, per reader (`shown`): a quote never shows
a post its reader may not see. Requests, approvals and revocations are
server/services/quote_requests.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Post, PostState, Visibility
from server.models.interaction_policies import Interaction, Quote, QuoteState
from server.services import mutes, paging, policy_reads, post_reads, relationships, tone
from server.services.errors import Invalid, NotFound
from server.services.interaction_policies import Decision
from server.services.paging import Window
from server.services.pauses import Pause, nudge_or_hold
from server.services.posting_rules import Rules
from server.services.visibility import visible_to
from server.urls import Urls


class _Draft(Protocol):
    """What the pause reads of a composition (server/services/posts.py's)."""

    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def as_written(self) -> bool: ...
    @property
    def nudged(self) -> bool: ...


#: Followers-only and direct posts are never quotable, whatever their policy says.
QUOTABLE = frozenset({Visibility.public, Visibility.unlisted})


@dataclass(frozen=True)
class Quoting:
    """A quote about to be written: the post it quotes and what its policy said."""

    quoted: Post
    author: Actor  # the quoted post's author
    decision: Decision


async def check(
    session: AsyncSession, quoter: Actor, quoted_id: int, now: datetime | None = None
) -> Quoting:
    """The post `quoter` may quote, and whether it needs its author's approval; Invalid
    (or NotFound) with a message for the quoter otherwise."""
    assert quoter.id is not None
    quoted = await post_reads.get_visible(session, quoter.id, quoted_id)
    if quoted.reblog_of_id is not None:
        raise Invalid("Quote the post itself, not a boost of it.", field="quoted_status_id")
    if quoted.state != PostState.published:
        raise Invalid("You can quote that post once it is published.", field="quoted_status_id")
    author = await session.get(Actor, quoted.actor_id)
    assert author is not None
    name = author.display_name or author.username
    # Policies never widen visibility: followers-only and direct posts stay unquotable.
    if quoted.visibility not in QUOTABLE:
        raise Invalid(
            "Only public and unlisted posts can be quoted: this one is for "
            f"{name}'s chosen audience.",
            field="quoted_status_id",
        )
    decision = await policy_reads.decision(
        session, quoted, quoter, Interaction.quote, await policy_reads.community_now(session), now
    )
    if decision is Decision.refused:
        raise Invalid(f"{name} doesn't allow quotes of this post.", field="quoted_status_id")
    return Quoting(quoted, author, decision)


async def pause(
    session: AsyncSession,
    quoter: Actor,
    quoting: Quoting,
    draft: _Draft,
    rules: Rules,
    nudge: bool,
) -> Pause:
    """A quote's pause: a post's, at least a reply's, a stranger reply's when the quoted
    author is not a mutual, and longer when kept as written after the tone check (which,
    with `nudge`, raises ToneNudge first unless held back at random, as for replies)."""
    assert quoter.id is not None
    quoted_author_id = quoting.quoted.actor_id
    found = (await relationships.between(session, quoter.id, [quoted_author_id]))[0]
    mutual = quoter.id == quoted_author_id or (found.following and found.followed_by)
    wait = max(rules.pause_post, rules.pause_reply if mutual else rules.pause_stranger_reply)
    flags = tone.check(draft.text, rules.tone_phrases, draft.language)
    if not flags:
        return Pause(wait)
    held = nudge_or_hold(flags, draft, rules, nudge=nudge)
    return Pause(max(wait, rules.pause_as_written_reply), nudge_held_out=held)


def start(post: Post, quoting: Quoting, urls: Urls) -> Quote:
    """The quote row of a new post (the caller adds it): accepted at once when the policy
    says so for a post here or the quoter's own; otherwise waiting for an answer (a remote
    post's server always answers: nobody else can check a follower collection)."""
    automatic = quoting.decision is Decision.automatic
    own = quoting.quoted.actor_id == post.actor_id
    accepted = own or (automatic and quoting.quoted.is_local)
    quoted_uri = urls.of_post(quoting.quoted, quoting.author)
    return Quote(
        post_id=post.id,
        quoted_post_id=quoting.quoted.id,
        quoted_uri=quoted_uri,
        state=QuoteState.accepted if accepted else QuoteState.pending,
        created_at=post.created_at,
        decided_at=post.created_at if accepted else None,
    )


def fallback_html(url: str) -> str:
    """The line Mastodon prepends for software that shows no quotes (its web UI hides
    elements of class quote-inline when it shows the quote itself)."""
    link = escape(url, quote=True)
    return f'<p class="quote-inline">RE: <a href="{link}">{escape(url)}</a></p>'


async def of_posts(session: AsyncSession, post_ids: Sequence[int]) -> dict[int, Quote]:
    """The quote rows of the posts among `post_ids` that quote another."""
    if not post_ids:
        return {}
    rows = await session.exec(select(Quote).where(col(Quote.post_id).in_(list(post_ids))))
    return {q.post_id: q for q in rows.all()}


@dataclass(frozen=True)
class Shown:
    """What one reader is shown of a quoted post: a Mastodon Quote state, and the quoted
    post only when it is accepted and the reader may see it."""

    state: str
    quoted_post_id: int | None
    quoted_author_id: int | None = None


async def shown(
    session: AsyncSession, viewer_id: int | None, post_ids: Sequence[int], now: datetime
) -> dict[int, Shown]:
    """For the posts among `post_ids` that quote another: what `viewer_id` is shown."""
    found = await of_posts(session, post_ids)
    if not found:
        return {}
    wanted = {q.quoted_post_id for q in found.values() if q.quoted_post_id is not None}
    posts = {}
    if wanted:
        rows = await session.exec(select(Post).where(col(Post.id).in_(wanted)))
        posts = {p.id: p for p in rows.all()}
    visible: set[int] = set()
    if wanted:
        seen = await session.exec(
            select(Post.id).where(col(Post.id).in_(wanted), visible_to(viewer_id))
        )
        visible = set(seen.all())
    muted: set[int] = set()
    if viewer_id is not None and wanted:
        muted = set((await session.exec(mutes.muted_ids(viewer_id, now))).all())
    out: dict[int, Shown] = {}
    for post_id, quote in found.items():
        quoted = posts.get(quote.quoted_post_id) if quote.quoted_post_id is not None else None
        author_id = quoted.actor_id if quoted is not None else None
        if quote.state != QuoteState.accepted:
            out[post_id] = Shown(str(quote.state), None, author_id)
        elif quoted is None and quote.quoted_post_id is None:
            out[post_id] = Shown("deleted", None)
        elif quoted is None or quoted.state == PostState.deleted:
            out[post_id] = Shown("deleted", None, author_id)
        elif quoted.id not in visible:
            out[post_id] = Shown("unauthorized", None, author_id)
        elif quoted.actor_id in muted:
            out[post_id] = Shown("muted_account", None, author_id)
        else:
            out[post_id] = Shown("accepted", quoted.id, author_id)
    return out


async def quoting_posts(
    session: AsyncSession, author: Actor, post_id: int, window: Window
) -> list[int]:
    """Ids of the posts with an accepted quote of `author`'s post `post_id`, newest
    first (what Mastodon's GET /api/v1/statuses/:id/quotes lists for the author)."""
    post = await post_reads.get_visible(session, author.id, post_id)
    if post.actor_id != author.id:
        raise NotFound("Only the author of a post can list its quotes.")
    query = select(Quote.post_id).where(
        col(Quote.quoted_post_id) == post_id, col(Quote.state) == QuoteState.accepted
    )
    rows = await paging.rows(session, query, col(Quote.post_id), window)
    return [int(r) for r in rows]
