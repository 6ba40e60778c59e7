"""What a page's posts' interaction policies let the reader do, in words, for the reply,
like and boost controls and the "replies limited" label: one batched read a page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Mention
from server.models.interaction_policies import Interaction
from server.services import policy_reads, policy_words, relationships
from server.services.interaction_policies import Policy, Standing, decide
from server.services.post_views import PostView

#: Where pages keep their posts: a list of views, or an object holding them.
_HOLDERS = ("items", "pending")


@dataclass(frozen=True)
class Control:
    """One control as the reader sees it: open, asks first, or closed (greyed)."""

    state: str
    says: str | None  # why, in words, when it is not simply open


@dataclass(frozen=True)
class PolicyNote:
    limited: str | None  # "replies limited", or None
    controls: Mapping[str, Control]


def _views(value: Any, found: list[PostView], depth: int = 0) -> None:
    if depth > 2 or value is None or isinstance(value, str | bytes | Mapping):
        return
    if isinstance(value, PostView):
        found.append(value.reblog or value)
    elif isinstance(value, list | tuple):
        for item in value:
            _views(item, found, depth + 1)
    else:
        inner = getattr(value, "view", None)
        if isinstance(inner, PostView):
            found.append(inner.reblog or inner)
        for name in _HOLDERS:
            if isinstance(held := getattr(value, name, None), list | tuple):
                _views(held, found, depth + 1)


def views_in(context: Mapping[str, Any]) -> list[PostView]:
    """The posts a page shows (its lists of views, and pages of them)."""
    found: list[PostView] = []
    for value in context.values():
        _views(value, found)
    return list({v.post.id: v for v in found if v.post.state == "published"}.values())


def _control(policy: Policy, kind: Interaction, standing: Standing, view: PostView) -> Control:
    decision = decide(policy, kind, standing, view.post.visibility)
    name = view.author.name or view.author.username
    says = policy_words.for_reader(kind, policy.rule(kind), name)
    state = policy_words.button_state(decision)
    if state == "asks":
        says = f"Asks {name} first" + (f": {says}" if says else "")
    return Control(state, None if state == "open" else says)


async def notes_for(
    session: AsyncSession,
    reader_id: int | None,
    reader_uri: str | None,
    views: Iterable[PostView],
    community: Policy,
    now: datetime,
) -> dict[int, PolicyNote]:
    """Each post's note for the reader (None: a visitor, who sees the label only)."""
    shown = list(views)
    if not shown:
        return {}
    policies = await policy_reads.policies_of(session, [v.post for v in shown], community)
    related: dict[int, relationships.Relationship] = {}
    mentioned: set[int] = set()
    if reader_id is not None:
        authors = list({v.post.actor_id for v in shown})
        found = await relationships.between(session, reader_id, authors, now)
        related = dict(zip(authors, found, strict=True))
        rows = await session.exec(
            select(Mention.post_id).where(
                col(Mention.actor_id) == reader_id,
                col(Mention.post_id).in_([v.post.id for v in shown]),
            )
        )
        mentioned = set(rows.all())
    notes = {}
    for view in shown:
        policy = policies[view.post.id]
        controls: dict[str, Control] = {}
        if reader_id is not None and view.post.actor_id != reader_id:
            relation = related[view.post.actor_id]
            standing = Standing(
                follows_author=relation.following,
                followed_by_author=relation.followed_by,
                mentioned=view.post.id in mentioned,
                uri=reader_uri,
            )
            for kind in Interaction:  # quote too, for the quote control
                controls[kind.value] = _control(policy, kind, standing, view)
        notes[view.post.id] = PolicyNote(policy_words.limited_label(policy), controls)
    return notes
