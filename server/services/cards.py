"""Reflective cards: one short prompt before a reply, chosen for the situation.

At most one card per composer, from rules in a fixed order (the first that applies
wins); each kind appears at most once for the same person replied to in a span of days
(a norm), and the text of each is a norm. Every card says why it appeared, and can be
answered "this didn't fit", which admins see on the dashboard.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import CareEvent, CareKind, LinkOpen, Mention, Post
from server.services import care, holdouts, shields, slow_mode
from server.services.experiment_arms import HOLDOUT, SHOWN
from server.services.norm_settings import NormValues, build, days, norm_field
from server.services.reply_context import ReplyContext

#: External links in rendered post HTML (mentions and hashtags are marked by class).
LINK = re.compile(r'<a href="(https?://[^"]+)"(?![^>]*class="[^"]*(?:mention|hashtag))')


@dataclass(frozen=True)
class CardNorms:
    """How often cards may appear, when a post is old, and what each card says (norms)."""

    cap: timedelta = norm_field("cards.cap_days", days)
    old_post: timedelta = norm_field("cards.old_post_days", days)
    stranger: str = norm_field("cards.stranger_text")
    old_post_text: str = norm_field("cards.old_post_text")
    hot_thread: str = norm_field("cards.hot_thread_text")
    unopened_link: str = norm_field("cards.unopened_link_text")
    no_advice: str = norm_field("cards.no_advice_text")
    shield: str = norm_field("cards.shield_text")
    #: The share of cards held back at random (server/services/holdouts.py).
    holdout_percent: int = norm_field("holdouts.cards_percent")


@dataclass(frozen=True)
class Card:
    kind: str
    text: str
    why: str
    event_id: int


def links_in(post: Post) -> list[str]:
    """The web links a post carries (not its mentions or hashtags)."""
    return [unescape(url) for url in LINK.findall(post.content_html)]


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


async def opened(session: AsyncSession, actor_id: int, url: str, now: datetime) -> None:
    """Note that the member opened `url` through Porch."""
    row = await session.get(LinkOpen, (actor_id, url_hash(url)))
    if row is None:
        session.add(LinkOpen(actor_id=actor_id, url_hash=url_hash(url), opened_at=now))
        await session.commit()


async def _unopened(session: AsyncSession, actor_id: int, post: Post) -> bool:
    hashes = [url_hash(u) for u in links_in(post)]
    if not hashes:
        return False
    seen = await session.exec(
        select(LinkOpen.url_hash).where(
            LinkOpen.actor_id == actor_id, col(LinkOpen.url_hash).in_(hashes)
        )
    )
    return len(set(seen.all())) < len(set(hashes))


def _age(post: Post, now: datetime) -> str:
    days = (now - (post.published_at or now)).days
    if days >= 60:
        return f"{days // 30} months ago"
    if days >= 14:
        return f"{days // 7} weeks ago"
    return f"{days} days ago"


#: Built once (the composer runs them on every reply).
RECENT_KINDS = select(CareEvent.detail).where(
    CareEvent.kind == CareKind.card,
    CareEvent.actor_id == bindparam("actor"),
    CareEvent.target_id == bindparam("target"),
    col(CareEvent.created_at) > bindparam("since"),
)
SHOWN_FOR_POST = select(CareEvent.id).where(
    CareEvent.kind == CareKind.card,
    CareEvent.actor_id == bindparam("actor"),
    CareEvent.post_id == bindparam("post"),
    CareEvent.detail == bindparam("kind"),
)


async def _recent_kinds(
    session: AsyncSession, actor_id: int, target_id: int, since: datetime
) -> set[str]:
    params = {"actor": actor_id, "target": target_id, "since": since}
    return set((await session.exec(RECENT_KINDS, params=params)).all())


async def _shown_for_post(session: AsyncSession, actor_id: int, post_id: int, kind: str) -> bool:
    params = {"actor": actor_id, "post": post_id, "kind": kind}
    found = await session.exec(SHOWN_FOR_POST, params=params)
    return found.first() is not None


async def choose(
    session: AsyncSession,
    actor_id: int,
    context: ReplyContext,
    found: NormValues,
    limits: slow_mode.Limits,
    now: datetime,
) -> Card | None:
    """The one card for this reply, or None; a card chosen is recorded as shown, or,
    drawn as a holdout (the norm holdouts.cards_percent), recorded as held back and not
    shown. Either way it counts toward the cap, so both arms are chosen alike."""
    parent, author = context.parent, context.author
    assert author.id is not None
    if author.id == actor_id:
        return None
    norms = build(CardNorms, found)
    if await _shielded(session, actor_id, parent, now):
        # Not a nudge but what will happen: shown every time, before any other card, and
        # never drawn (its arm stays empty: it is no part of the holdout comparison).
        text = norms.shield.replace("{name}", author.name)
        why = f"The pile-on shield is up on {author.name}’s thread."
        return await _shown(session, actor_id, author.id, parent, "shield", text, why, now)
    since = now - norms.cap
    capped = await _recent_kinds(session, actor_id, author.id, since)
    name = author.name
    candidates: list[tuple[str, str, str]] = []
    if parent.intent and "no advice" in parent.intent.lower():
        text = norms.no_advice.replace("{name}", name)
        candidates.append(("no_advice", text, f"{name} said: “{parent.intent}”."))
    relation = context.relationship
    stranger = not (relation.following or relation.followed_by) and not context.history.exchanged
    if stranger:
        text = norms.stranger.replace("{name}", name)
        why = f"You do not follow each other and have never talked with {name}."
        candidates.append(("stranger", text, why))
    root = parent if parent.id == parent.root_id else await session.get(Post, parent.root_id)
    if root is not None and (await slow_mode.of(session, root, limits, now)).on:
        candidates.append(("hot_thread", norms.hot_thread, "This thread is in slow mode."))
    published = parent.published_at or now
    if now - published > norms.old_post:
        age = _age(parent, now)
        text = norms.old_post_text.replace("{age}", age)
        candidates.append(("old_post", text, f"The post is from {age}."))
    if await _unopened(session, actor_id, parent) and not await _shown_for_post(
        session, actor_id, parent.id, "unopened_link"
    ):
        why = "The post has a link you have not opened from Porch."
        candidates.append(("unopened_link", norms.unopened_link, why))
    for kind, text, why in candidates:
        if kind in capped:
            continue
        held = holdouts.held_out(norms.holdout_percent)
        arm = HOLDOUT if held else SHOWN
        card = await _shown(session, actor_id, author.id, parent, kind, text, why, now, arm)
        return None if held else card
    return None


async def _shown(
    session: AsyncSession,
    actor_id: int,
    author_id: int,
    parent: Post,
    kind: str,
    text: str,
    why: str,
    now: datetime,
    arm: str = "",
) -> Card:
    event_id = await care.shown(
        session,
        CareKind.card,
        now,
        actor_id=actor_id,
        target_id=author_id,
        post_id=parent.id,
        detail=kind,
        arm=arm,
    )
    return Card(kind, text, why, event_id)


async def _shielded(session: AsyncSession, actor_id: int, parent: Post, now: datetime) -> bool:
    """Whether the thread's pile-on shield makes this reply wait for its author."""
    mentioned = await session.exec(
        select(Mention.actor_id).where(Mention.post_id == parent.id, Mention.actor_id == actor_id)
    )
    return await shields.holds(
        session, parent, actor_id, mentioned=mentioned.first() is not None, now=now
    )
