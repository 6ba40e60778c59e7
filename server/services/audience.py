"""Who hears of a post as it happens: the timelines' rules, checked once for everyone listening.

A stream event about a post is checked against every viewer who follows a stream, in a
few statements whatever their number: `who_may_see` asks the very condition every read
path uses (`visibility.visible_to`), correlated with a list of viewers, so the two cannot
drift apart; `readers` adds each stream's own rules, mirroring timelines.py (home: the
viewer and the people they follow, minus mutes and exclusive lists; lists with their
replies policy; public, local, remote and media; hashtags).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CompoundSelect, literal, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Attachment,
    Bookmark,
    Domain,
    DomainPolicy,
    Follow,
    FollowState,
    Like,
    ListMember,
    Mute,
    PersonList,
    Post,
    PostState,
    PostTag,
    RepliesPolicy,
    Visibility,
)
from server.services import statements
from server.services.visibility import visible_to

#: The viewers of a batched check, as a table of their own: an alias, so the suspended
#: people's subquery inside `visible_to` (on `actors`) stays uncorrelated.
VIEWER = aliased(Actor, name="viewer")
PUBLIC_STREAMS = {
    "public": (False, False, False),
    "public:media": (False, False, True),
    "public:local": (True, False, False),
    "public:local:media": (True, False, True),
    "public:remote": (False, True, False),
    "public:remote:media": (False, True, True),
}
#: The streams that carry posts (the others carry notifications only).
POST_STREAMS = frozenset({"user", "list", "hashtag", "hashtag:local", *PUBLIC_STREAMS})


async def who_may_see(
    session: AsyncSession, post_id: int, viewer_ids: Collection[int | None]
) -> set[int | None]:
    """The viewers among `viewer_ids` (None: someone logged out) who may see `post_id`,
    by exactly the rule every timeline and page uses; one statement for all of them."""
    found: set[int | None] = set()
    members = [v for v in set(viewer_ids) if v is not None]
    if members:
        # One post against many viewers: the post's row joined to each viewer's, so the
        # rule's subqueries correlate with both.
        rows = await session.exec(
            select(VIEWER.id)
            .join(Post, col(Post.id) == post_id)
            .where(col(VIEWER.id).in_(members), visible_to(VIEWER.id))
        )
        found.update(int(i) for i in rows.all() if i is not None)
    if None in viewer_ids:
        anyone = select(col(Post.id)).where(col(Post.id) == post_id, visible_to(None))
        if (await session.exec(anyone)).first() is not None:
            found.add(None)
    return found


@dataclass(frozen=True)
class Reader:
    """One stream someone follows: whose eyes, which stream, its tag or list."""

    viewer_id: int | None
    stream: str
    tag: str | None = None
    list_id: int | None = None


@dataclass
class _Facts:
    post: Post
    author: Actor
    #: Whether it answers someone else (public timelines leave those in their threads).
    answers_other: bool
    parent_author_id: int | None


async def _facts(session: AsyncSession, post_id: int) -> _Facts | None:
    row = (
        await session.exec(
            select(Post, Actor)
            .join(Actor, col(Actor.id) == Post.actor_id)
            .where(Post.id == post_id)
        )
    ).first()
    if row is None or row[0].state != PostState.published:
        return None
    post, author = row
    parent_author_id = None
    if post.in_reply_to_id is not None:
        parent = select(Post.actor_id).where(col(Post.id) == post.in_reply_to_id)
        parent_author_id = (await session.exec(parent)).first()
    # As NOT_REPLY_TO_OTHERS reads it: a reply to an unknown post answers someone else.
    answers_other = post.in_reply_to_id is not None and parent_author_id != post.actor_id
    return _Facts(post, author, answers_other, parent_author_id)


async def _limited(session: AsyncSession, domain: str | None) -> bool:
    if domain is None:
        return False
    limited = select(Domain.domain).where(
        Domain.domain == domain, Domain.policy == DomainPolicy.limit
    )
    return (await session.exec(limited)).first() is not None


async def _public_ones(session: AsyncSession, facts: _Facts, wanting: set[Reader]) -> set[Reader]:
    """Readers of public, local, remote, media and hashtag streams the post belongs on."""
    post, author = facts.post, facts.author
    if post.visibility != Visibility.public or not wanting:
        return set()
    limited = author.limited_at is not None or await _limited(session, author.domain)
    local = author.domain is None
    tags: set[str] = set()
    if any(r.tag is not None for r in wanting):
        tags = set(
            (await session.exec(select(PostTag.tag).where(PostTag.post_id == post.id))).all()
        )
    media: bool | None = None
    out = set()
    for reader in wanting:
        if reader.stream in PUBLIC_STREAMS:
            local_only, remote_only, only_media = PUBLIC_STREAMS[reader.stream]
            if post.reblog_of_id is not None or facts.answers_other:
                continue
            if (local_only and not local) or (remote_only and (local or limited)) or limited:
                continue
            if only_media:
                if media is None:
                    has = select(Attachment.id).where(Attachment.post_id == post.id).limit(1)
                    media = (await session.exec(has)).first() is not None
                if not media:
                    continue
            out.add(reader)
        elif reader.tag is not None and reader.tag in tags and not limited:
            if reader.stream == "hashtag:local" and not local:
                continue
            out.add(reader)
    return out


async def _home_ones(
    session: AsyncSession, facts: _Facts, wanting: set[Reader], now: datetime
) -> set[Reader]:
    """Readers of home streams: the author, and people following them, who did not mute
    them or put them on an exclusive list."""
    author_id = facts.post.actor_id
    ids = {r.viewer_id for r in wanting if r.viewer_id is not None}
    if not ids:
        return set()
    tagged = union_all(
        select(Follow.follower_id, literal("follows")).where(
            Follow.followed_id == author_id,
            Follow.state == FollowState.accepted,
            col(Follow.follower_id).in_(ids),
        ),
        select(Mute.actor_id, literal("mutes")).where(
            Mute.target_id == author_id,
            col(Mute.actor_id).in_(ids),
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        ),
        select(PersonList.actor_id, literal("lists"))
        .join(ListMember, col(ListMember.list_id) == PersonList.id)
        .where(
            ListMember.actor_id == author_id,
            col(PersonList.exclusive).is_(True),
            col(PersonList.actor_id).in_(ids),
        ),
    )
    marks: dict[str, set[int]] = defaultdict(set)
    for actor_id, mark in (await statements.execute(session, tagged)).all():
        marks[mark].add(int(actor_id))
    home = (({author_id} & ids) | marks["follows"]) - marks["mutes"] - marks["lists"]
    return {r for r in wanting if r.viewer_id in home}


async def _list_ones(session: AsyncSession, facts: _Facts, wanting: set[Reader]) -> set[Reader]:
    """Readers of list streams: lists holding the author, owned by the reader, whose
    replies policy lets this post in."""
    list_ids = {r.list_id for r in wanting if r.list_id is not None}
    if not list_ids:
        return set()
    rows = await session.exec(
        select(PersonList)
        .join(ListMember, col(ListMember.list_id) == PersonList.id)
        .where(col(PersonList.id).in_(list_ids), ListMember.actor_id == facts.post.actor_id)
    )
    found = {chosen.id: chosen for chosen in rows.all()}
    out = set()
    for reader in wanting:
        chosen = found.get(reader.list_id)
        if chosen is None or chosen.actor_id != reader.viewer_id:
            continue
        if facts.answers_other and not await _reply_fits(session, facts, chosen):
            continue
        out.add(reader)
    return out


async def _reply_fits(session: AsyncSession, facts: _Facts, chosen: PersonList) -> bool:
    """Whether a list's replies policy admits a reply to someone else (as of_list)."""
    parent = facts.parent_author_id
    if chosen.replies_policy == RepliesPolicy.none or parent is None:
        return False
    if chosen.replies_policy == RepliesPolicy.list:
        member = select(ListMember.actor_id).where(
            ListMember.list_id == chosen.id, ListMember.actor_id == parent
        )
        return (await session.exec(member)).first() is not None
    if parent == chosen.actor_id:
        return True
    followed = select(Follow.id).where(
        Follow.follower_id == chosen.actor_id,
        Follow.followed_id == parent,
        Follow.state == FollowState.accepted,
    )
    return (await session.exec(followed)).first() is not None


async def readers(
    session: AsyncSession, post_id: int, wanting: Collection[Reader], now: datetime
) -> set[Reader]:
    """The streams among `wanting` that show `post_id` now, by the timelines' rules:
    nobody who may not see the post (or, for a boost, the boosted post) is among them,
    and a post that is not published reaches nobody."""
    wanting = set(wanting)
    facts = await _facts(session, post_id) if wanting else None
    if facts is None:
        return set()
    allowed = await who_may_see(session, post_id, {r.viewer_id for r in wanting})
    if facts.post.reblog_of_id is not None and allowed:
        allowed &= await who_may_see(session, facts.post.reblog_of_id, allowed)
    wanting = {r for r in wanting if r.viewer_id in allowed}
    by_kind: dict[str, set[Reader]] = defaultdict(set)
    for reader in wanting:
        kind = "user" if reader.stream == "user" else "list" if reader.stream == "list" else ""
        by_kind[kind].add(reader)
    return (
        await _public_ones(session, facts, by_kind[""])
        | await _home_ones(session, facts, by_kind["user"], now)
        | await _list_ones(session, facts, by_kind["list"])
    )


@dataclass(frozen=True)
class Marks:
    """What one viewer did to the posts of an entity: their buttons' states."""

    liked: frozenset[int] = frozenset()
    boosted: frozenset[int] = frozenset()
    bookmarked: frozenset[int] = frozenset()


async def marks_of(
    session: AsyncSession, viewer_ids: Collection[int], post_ids: Collection[int]
) -> dict[int, Marks]:
    """Each viewer's likes, boosts and bookmarks among `post_ids`, in one statement."""
    if not viewer_ids or not post_ids:
        return {}
    viewers, posts = list(viewer_ids), list(post_ids)
    marked: CompoundSelect[tuple[int, int, str]] = union_all(
        select(Like.actor_id, Like.post_id, literal("liked")).where(
            col(Like.actor_id).in_(viewers), col(Like.post_id).in_(posts)
        ),
        select(Post.actor_id, Post.reblog_of_id, literal("boosted")).where(
            col(Post.actor_id).in_(viewers), col(Post.reblog_of_id).in_(posts)
        ),
        select(Bookmark.actor_id, Bookmark.post_id, literal("bookmarked")).where(
            col(Bookmark.actor_id).in_(viewers), col(Bookmark.post_id).in_(posts)
        ),
    )
    found: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for actor_id, post_id, mark in (await statements.execute(session, marked)).all():
        found[int(actor_id)][mark].add(int(post_id))
    return {
        viewer: Marks(frozenset(m["liked"]), frozenset(m["boosted"]), frozenset(m["bookmarked"]))
        for viewer, m in found.items()
    }


async def answered(session: AsyncSession, post_ids: Collection[int]) -> bool:
    """Whether any of `post_ids` has a reply (seen by anyone): then each viewer's reply
    count may differ, since they count only the replies they may see."""
    found = select(Post.id).where(col(Post.in_reply_to_id).in_(list(post_ids))).limit(1)
    return (await session.exec(found)).first() is not None
