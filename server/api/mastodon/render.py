"""Turning pages of posts, people and notifications into entities, a few queries a page.

Handlers call these instead of building entities one by one: the figures every entity
needs (counts, mentions, media, bookmarks) are read once for the whole page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.api.mastodon import moderation_render, policies, quote_render, shield
from server.api.mastodon.context import ApiError, Call
from server.api.mastodon.entities import accounts as account_entities
from server.api.mastodon.entities import statuses as status_entities
from server.api.mastodon.entities.common import Site, timestamp
from server.api.mastodon.entities.statuses import Figures
from server.models import Actor, NotificationKind, Post
from server.render_cache import Lru, cache_of
from server.services import content, post_reads, stats, thread_mutes
from server.services.notifications import NotificationView
from server.services.post_views import PostView, views_of
from server.services.stats import AccountStats

#: Porch's notification kinds under Mastodon's names.
NOTIFICATION_TYPES = {
    NotificationKind.follow: "follow",
    NotificationKind.follow_request: "follow_request",
    NotificationKind.mention: "mention",
    NotificationKind.reply: "mention",
    NotificationKind.favourite: "favourite",
    NotificationKind.reblog: "reblog",
    NotificationKind.update: "update",
    NotificationKind.warning: "moderation_warning",
    # Porch's own: the outcome of the member's report or appeal.
    NotificationKind.report_outcome: "report_outcome",
    NotificationKind.appeal_outcome: "appeal_outcome",
    NotificationKind.new_report: "admin.report",
    NotificationKind.quote: "quote",
    NotificationKind.quoted_update: "quoted_update",
    # Porch's own: a thread's pile-on shield went up.
    NotificationKind.pile_on_shield: "pile_on_shield",
    # GoToSocial's: an interaction with the member's post waits for their approval.
    NotificationKind.pending_reply: "pending.reply",
    NotificationKind.pending_like: "pending.favourite",
    NotificationKind.pending_boost: "pending.reblog",
    # Porch's own: a quote waiting likewise, and the answer to the member's request.
    NotificationKind.pending_quote: "pending.quote",
    NotificationKind.approval_outcome: "approval_outcome",
}
#: Listed only for apps that ask for them in `types[]`.
PORCH_ONLY_TYPES = frozenset(
    {
        NotificationKind.report_outcome,
        NotificationKind.appeal_outcome,
        NotificationKind.pile_on_shield,
        NotificationKind.pending_quote,
        NotificationKind.approval_outcome,
    }
)


def site(call: Call) -> Site:
    return Site(call.urls)


def _cache(call: Call, name: str) -> Lru[dict[str, Any]]:
    return cache_of(call.request.app.state, name, call.settings.render_cache_entries)


async def accounts(
    call: Call, people: Sequence[Actor], known: dict[int, AccountStats] | None = None
) -> list[dict[str, Any]]:
    """Accounts for `people`, with their counts (`known`: counts the caller read already)."""
    figures = dict(known or {})
    unknown = [a.id for a in people if a.id is not None and a.id not in figures]
    if unknown:
        figures |= await stats.of_accounts(call.session, unknown)
    here = site(call)
    kept = _cache(call, "accounts")
    found = []
    for actor in people:
        if actor.id is None:
            continue
        key = account_entities.account_key(actor)
        base = kept.get(key)
        if base is None:
            base = account_entities.account_base(actor, here)
            kept.put(key, base)
        found.append(account_entities.with_counts(base, figures[actor.id]))
    return found


async def account(call: Call, actor: Actor) -> dict[str, Any]:
    return (await accounts(call, [actor]))[0]


async def statuses(
    call: Call,
    views: Sequence[PostView],
    *,
    known: dict[int, post_reads.Details] | None = None,
    unmarked: bool = False,
    quote_depth: int = 0,
) -> list[dict[str, Any]]:
    """Statuses for posts the caller may see (`views` come from a read that checked):
    each post's kept base (by post and version), with the counts, the authors' accounts
    and the caller's own marks laid over it. `known`: details the caller has read
    already; `unmarked`: the caller knows none of the posts is bookmarked."""
    shown = [v.reblog or v for v in views]
    everyone = {v.author.id: v.author for v in [*views, *shown]}
    read = {v.post.actor_id: v.author_stats for v in [*views, *shown] if v.author_stats is not None}
    authors = await accounts(call, list(everyone.values()), read)
    here = site(call)
    kept = _cache(call, "statuses")
    bases: dict[int, dict[str, Any]] = {}
    missing: dict[int, PostView] = {}
    for view in [*views, *shown]:
        base = kept.get(status_entities.status_key(view.post))
        if base is None:
            missing[view.post.id] = view
        else:
            bases[view.post.id] = base
    if missing:
        # Only posts rendered for the first time (or edited since) need their mentions,
        # tags and parent read; the page's views carry their media already.
        details = known if known is not None and known.keys() >= missing.keys() else None
        if details is None:
            details = await post_reads.details_of(
                call.session, [v.post for v in missing.values()], with_media=False
            )
        for post_id, view in missing.items():
            base = status_entities.status_base(view.post, view.author, details[post_id], here)
            kept.put(status_entities.status_key(view.post), base)
            bases[post_id] = base
    figures = Figures(site=here, accounts={int(a["id"]): a for a in authors}, bases=bases)
    if call.viewer_id is not None and not unmarked:
        if all(v.bookmarked is not None for v in shown):  # read with the page's figures
            figures.bookmarked = {v.post.id for v in shown if v.bookmarked}
            figures.muted = {v.post.id for v in shown if v.muted}
        else:
            figures.bookmarked, figures.muted = await thread_mutes.marks(
                call.session, call.viewer_id, [v.post for v in shown]
            )
    now_iso = timestamp(call.now)
    out = [status_entities.status(v, figures, now_iso) for v in views]
    await policies.laid_over(call, views, out)
    # Quoted posts one level deep, as Mastodon renders them (a ShallowQuote below that).
    nested = None if quote_depth else lambda c, v: statuses(c, v, quote_depth=1)
    await quote_render.lay_over(call, views, out, nested)
    return out


async def status(call: Call, view: PostView) -> dict[str, Any]:
    return (await statuses(call, [view]))[0]


async def status_by_id(call: Call, post_id: int) -> dict[str, Any]:
    """The status the caller may see, rendered; 404 otherwise."""
    found = await views_of(call.session, call.viewer_id, [post_id])
    if not found:
        raise ApiError(404, "Record not found")
    return await status(call, found[0])


async def new_status(call: Call, post: Post, *, with_media: bool = True) -> dict[str, Any]:
    """The status the caller has just written, rendered as `status_by_id` would render
    it, without reading back what a new post cannot have yet: nobody, its author
    included, has answered, liked, boosted or bookmarked it, and it has no poll. Its
    mentions, tags, media and parent, and its author's account, are read as for any
    status (and its base is kept for the reads that follow), except when it can have
    none: a post that answers nobody, carries no media (`with_media` False) and whose
    text names nobody and no tag (the plainest, most common post) reads none of them."""
    if not with_media and post.in_reply_to_id is None and content.names_nothing(post.text):
        details = {post.id: post_reads.Details([], [], [], None)}
    else:
        details = await post_reads.details_of(call.session, [post])
    view = PostView(post, call.actor, media=details[post.id].attachments)
    return (await statuses(call, [view], known=details, unmarked=True))[0]


async def notifications(call: Call, items: Sequence[NotificationView]) -> list[dict[str, Any]]:
    post_ids = [n.post.id for n in items if n.post is not None]
    views = {v.post.id: v for v in await views_of(call.session, call.viewer_id, post_ids)}
    rendered = {int(s["id"]): s for s in await statuses(call, list(views.values()))}
    people = await accounts(call, list({n.from_actor.id: n.from_actor for n in items}.values()))
    by_id = {int(a["id"]): a for a in people}
    warnings = await moderation_render.of_notifications(
        call.session, items, by_id, lambda people: accounts(call, people)
    )
    shielded = await shield.of_notifications(call, items)
    out = []
    for item in items:
        note = item.notification
        if item.post is not None and item.post.id not in rendered:
            continue  # the post went out of sight (deleted, or its author blocked)
        if note.kind not in NOTIFICATION_TYPES:
            continue  # a kind Mastodon has no type for: shown on the web only
        entity = {
            "id": str(note.id),
            "type": NOTIFICATION_TYPES[note.kind],
            "created_at": timestamp(note.created_at),
            "group_key": f"ungrouped-{note.id}",
            "account": by_id[note.from_actor_id],
        }
        if item.post is not None:
            entity["status"] = rendered[item.post.id]
        entity.update(warnings.get(note.id or 0, {}))
        entity.update(shielded.get(note.id or 0, {}))
        out.append(entity)
    return out
