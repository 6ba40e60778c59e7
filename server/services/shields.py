"""The pile-on shield: a member's thread answered by a surge of strangers is held a while.

When enough different people who neither follow a member nor are followed by them reply
in the member's thread, or quote its first post, within a short window (the numbers are
norms, as slow mode's), the thread's shield goes up: for `shield.hours`, replies and
quotes from such people wait for the member's approval (server/services/policy_reads.py
asks `holds`), their notifications are gathered into the shield's one notification, and
people arriving to reply see a card. The member is told, and can turn it off; otherwise
it ends by itself, with no write, as a timed mute does.

The shield is kept per thread, on its first post, like slow mode: a pile-on spreads
through a thread, and the thread's author is the one it reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, or_, update
from sqlalchemy import select as columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import (
    Actor,
    Follow,
    FollowState,
    NormValue,
    Notification,
    NotificationKind,
    PileOnShield,
    Post,
    PostState,
    Quote,
)
from server.models.shields import ENDED_BY_AUTHOR
from server.services import moments
from server.services.errors import NotFound
from server.services.norm_settings import build, in_force, norm_field
from server.services.norms_registry import DEFAULTS
from server.services.visibility import visible_to

#: The norms the shield reads (only these, in one statement, where replies arrive).
SHIELD_NORMS = ("shield.mode", "shield.strangers", "shield.window_minutes", "shield.hours")
#: Notifications a shield gathers into its own: what a pile-on sends.
GATHERED_KINDS = frozenset(
    {
        NotificationKind.reply,
        NotificationKind.mention,
        NotificationKind.quote,
        NotificationKind.pending_reply,
        NotificationKind.pending_quote,
    }
)


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


@dataclass(frozen=True)
class ShieldNorms:
    """When a thread's shield goes up, and for how long (norms)."""

    mode: str = norm_field("shield.mode")
    strangers: int = norm_field("shield.strangers")
    window: timedelta = norm_field("shield.window_minutes", _minutes)
    lasts: timedelta = norm_field("shield.hours", _hours)


async def norms_in_force(session: AsyncSession) -> ShieldNorms:
    """The shield's norms now, reading only those (one small statement)."""
    rows = await session.exec(
        select(NormValue.name, NormValue.value).where(col(NormValue.name).in_(SHIELD_NORMS))
    )
    values, _ = in_force(rows.all(), {name: DEFAULTS[name] for name in SHIELD_NORMS})
    return build(ShieldNorms, values)


def _known_to(author: Any, person: Any) -> Any:
    """`person` follows `author`, or `author` follows `person` (accepted either way)."""
    return exists(
        select(Follow.id).where(
            Follow.state == FollowState.accepted,
            or_(
                (col(Follow.follower_id) == person) & (col(Follow.followed_id) == author),
                (col(Follow.follower_id) == author) & (col(Follow.followed_id) == person),
            ),
        )
    )


def _up(root: Any, now: Any) -> Any:
    """The id of the shield up on thread `root` at `now`, or NULL."""
    return (
        select(PileOnShield.id)
        .where(
            col(PileOnShield.post_id) == root,
            col(PileOnShield.ended_at).is_(None),
            col(PileOnShield.ends_at) > now,
        )
        .order_by(col(PileOnShield.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def _facts_statement() -> Any:
    root: BindParameter[int] = bindparam("root")
    person: BindParameter[int] = bindparam("person")
    # Five columns: more than sqlmodel's select types, so SQLAlchemy's own.
    return (
        columns(
            col(Post.actor_id),
            col(Actor.domain).is_(None),
            _known_to(col(Post.actor_id), person),
            _up(root, bindparam("now")),
            select(func.max(PileOnShield.ended_at))
            .where(col(PileOnShield.post_id) == root)
            .scalar_subquery(),
        )
        .join(Actor, col(Actor.id) == Post.actor_id)
        .where(col(Post.id) == root)
    )


#: Built once: it runs for every reply that reaches someone here. The thread's author,
#: whether they are a member, whether the person answering is known to them, the
#: thread's shield if one is up, and when its author last turned one off.
FACTS = _facts_statement()


def _strangers_statement(visible: bool) -> Any:
    """Distinct people unknown to the thread's author who answered in it, or quoted its
    first post, since a time; `visible`: only in posts the author may open."""
    root: BindParameter[int] = bindparam("root")
    author: BindParameter[int] = bindparam("author")
    quoting = select(Quote.post_id).where(col(Quote.quoted_post_id) == root)
    query = select(func.count(func.distinct(Post.actor_id))).where(
        or_(
            (col(Post.root_id) == root) & col(Post.in_reply_to_id).is_not(None),
            col(Post.id).in_(quoting),
        ),
        col(Post.created_at) > bindparam("since"),
        col(Post.state) != PostState.deleted,
        col(Post.actor_id) != author,
        ~_known_to(author, col(Post.actor_id)),
    )
    return query.where(visible_to(author)) if visible else query


#: Built once: counted for every stranger's reply in a member's thread while no shield
#: is up. Every answer counts towards a surge, seen by the author or not.
STRANGERS = _strangers_statement(visible=False)
#: The number the author is told: only people whose answers the author may open.
STRANGERS_SEEN = _strangers_statement(visible=True)


@dataclass(frozen=True)
class Facts:
    author_id: int
    local: bool
    known: bool
    shield_id: int | None
    turned_off_at: datetime | None


async def _facts(session: AsyncSession, root_id: int, person_id: int, now: datetime) -> Facts:
    params = {"root": root_id, "person": person_id, "now": now}
    row = (await session.exec(FACTS, params=params)).first()
    if row is None:
        return Facts(0, False, True, None, None)  # no such thread: nothing to shield
    return Facts(int(row[0]), bool(row[1]), bool(row[2]), row[3], row[4])


async def noticed(
    session: AsyncSession, post: Post, actor_id: int, now: datetime
) -> PileOnShield | None:
    """`actor_id` just answered, mentioned or quoted `post`: raise its thread's shield if
    that makes a surge. Returns the shield up on the thread, if any (in the caller's
    transaction; the caller commits). Quotes call this with the quoted post."""
    shield, _ = await _notice(session, post.root_id, actor_id, now)
    return shield


async def replied(
    session: AsyncSession, post: Post, told: list[tuple[int, NotificationKind]], now: datetime
) -> list[tuple[int, NotificationKind]]:
    """A reply just reached people here (`told`: whom it tells, and how): count it
    towards a surge in its thread, and gather what it tells the thread's author into
    the shield's notification if the shield is up. Returns who is still told."""
    if post.in_reply_to_id is None:
        return told
    shield, facts = await _notice(session, post.root_id, post.actor_id, now)
    if shield is None:
        return told
    return await _gather(session, shield, facts.author_id, told)


async def sift(
    session: AsyncSession,
    post: Post,
    from_actor_id: int,
    told: list[tuple[int, NotificationKind]],
    now: datetime,
) -> list[tuple[int, NotificationKind]]:
    """Of the notifications `told` about `post` from `from_actor_id`, those still to be
    written: a shield up on the post's thread gathers the ones to its author from people
    unknown to them. For writers of other notifications (approvals, quotes)."""
    if not any(kind in GATHERED_KINDS for _, kind in told):
        return told
    facts = await _facts(session, post.root_id, from_actor_id, now)
    if facts.shield_id is None or facts.known or from_actor_id == facts.author_id:
        return told
    shield = await session.get(PileOnShield, facts.shield_id)
    assert shield is not None
    return await _gather(session, shield, facts.author_id, told)


async def _notice(
    session: AsyncSession, root_id: int, actor_id: int, now: datetime
) -> tuple[PileOnShield | None, Facts]:
    facts = await _facts(session, root_id, actor_id, now)
    if not facts.local or facts.known or actor_id == facts.author_id:
        return None, facts  # not a member's thread, or not a stranger to its author
    if facts.shield_id is not None:
        return await session.get(PileOnShield, facts.shield_id), facts
    norms = await norms_in_force(session)
    if norms.mode != "on":
        return None, facts
    since = now - norms.window
    if facts.turned_off_at is not None:
        # The author turned a shield off: the surge it met does not raise it again.
        since = max(since, facts.turned_off_at)
    params = {"root": root_id, "author": facts.author_id, "since": since}
    count = int((await session.exec(STRANGERS, params=params)).one())
    if count < norms.strangers:
        return None, facts
    return await _raise(session, root_id, facts.author_id, count, norms, now), facts


async def _raise(
    session: AsyncSession,
    root_id: int,
    author_id: int,
    count: int,
    norms: ShieldNorms,
    now: datetime,
) -> PileOnShield:
    """Put the shield up, once: surges racing each other wait on the thread's first
    post (PostgreSQL; SQLite writes one at a time), and the later finds it up."""
    await session.exec(select(Post.id).where(col(Post.id) == root_id).with_for_update())
    found = await session.exec(
        select(PileOnShield).where(col(PileOnShield.id) == _up(root_id, now))
    )
    if (already := found.first()) is not None:
        return already
    shield = PileOnShield(
        post_id=root_id,
        author_id=author_id,
        started_at=now,
        ends_at=now + norms.lasts,
        strangers=count,
    )
    session.add(shield)
    session.add(moments.shield_raised(root_id, author_id, now))
    # The author's own notice: from their own account, as moderation notices are, so it
    # names nobody else and no policy of theirs filters it.
    session.add(
        Notification(
            recipient_id=author_id,
            kind=NotificationKind.pile_on_shield,
            from_actor_id=author_id,
            post_id=root_id,
            created_at=now,
        )
    )
    await session.flush()
    return shield


async def _gather(
    session: AsyncSession,
    shield: PileOnShield,
    author_id: int,
    told: list[tuple[int, NotificationKind]],
) -> list[tuple[int, NotificationKind]]:
    kept = [(r, k) for r, k in told if r != author_id or k not in GATHERED_KINDS]
    if len(kept) < len(told):
        await session.exec(
            update(PileOnShield)
            .where(col(PileOnShield.id) == shield.id)
            .values(gathered=col(PileOnShield.gathered) + (len(told) - len(kept)))
        )
    return kept


async def up_on(session: AsyncSession, root_id: int, now: datetime) -> PileOnShield | None:
    """The shield up on the thread that starts with `root_id` at `now`, if any."""
    found = await session.exec(
        select(PileOnShield).where(col(PileOnShield.id) == _up(root_id, now))
    )
    return found.first()


async def holds(
    session: AsyncSession, post: Post, actor_id: int, *, mentioned: bool, now: datetime
) -> bool:
    """Whether a shield makes `actor_id`'s reply to or quote of `post` wait for its
    author's approval: the shield of the post's thread is up, the post is its author's,
    and the person is unknown to them and was not mentioned by them."""
    if actor_id == post.actor_id or mentioned:
        return False
    facts = await _facts(session, post.root_id, actor_id, now)
    return facts.shield_id is not None and not facts.known and facts.author_id == post.actor_id


async def strangers_seen(session: AsyncSession, shield: PileOnShield, now: datetime) -> int:
    """How many people unknown to the shield's author answered in the thread since the
    surge that raised it began: only those whose answers the author may open."""
    assert shield.id is not None
    window = (await norms_in_force(session)).window
    params = {
        "root": shield.post_id,
        "author": shield.author_id,
        "since": shield.started_at - window,
    }
    return int((await session.exec(STRANGERS_SEEN, params=params)).one())


async def turn_off(session: AsyncSession, author_id: int, post_id: int, now: datetime) -> None:
    """The thread's author turns its shield off: people's replies go by the post's own
    policy again. NotFound for a thread that is not theirs, or whose shield is down."""
    post = await session.get(Post, post_id)
    if post is None or post.actor_id != author_id or post.state == PostState.deleted:
        raise NotFound("This post does not exist, or it is not yours.")
    done = await session.exec(
        update(PileOnShield)
        .where(
            col(PileOnShield.post_id) == post.root_id,
            col(PileOnShield.author_id) == author_id,
            col(PileOnShield.ended_at).is_(None),
            col(PileOnShield.ends_at) > now,
        )
        .values(ended_at=now, ended_by=ENDED_BY_AUTHOR)
    )
    if not done.rowcount:
        raise NotFound("The shield on this thread is not up.")
    await session.commit()


async def of_notifications(
    session: AsyncSession, notifications: Sequence[Notification], now: datetime
) -> dict[int, tuple[PileOnShield, int]]:
    """For each pile_on_shield notification (by id): the shield it tells of, and how many
    strangers it counts now."""
    found: dict[int, tuple[PileOnShield, int]] = {}
    for note in notifications:
        if note.kind != NotificationKind.pile_on_shield or note.post_id is None:
            continue
        rows = await session.exec(
            select(PileOnShield)
            .where(
                col(PileOnShield.post_id) == note.post_id,
                col(PileOnShield.author_id) == note.recipient_id,
                col(PileOnShield.started_at) <= note.created_at,
            )
            .order_by(col(PileOnShield.started_at).desc())
            .limit(1)
        )
        shield = rows.first()
        if shield is not None and note.id is not None:
            found[note.id] = (shield, await strangers_seen(session, shield, now))
    return found
