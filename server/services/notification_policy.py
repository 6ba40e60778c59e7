"""Notification policies: which notifications a member sees, keeps apart, or never gets.

Each member has five filters, as Mastodon 4.3 has them (people they do not follow, people
who do not follow them, new accounts, unsolicited private mentions, limited accounts),
each answered `accept`, `filter` (kept in the filtered inbox, see
notification_requests.py) or `drop` (never stored). A member's own answer overrides the
community's default, which is a norm (`notifications.*`). People a member muted with
their notifications, and threads they muted, notify them of nothing.

`sort` is applied where notifications are written (notifications.add_many), to a whole
batch with one statement: posts reaching many members cost one read, not one per member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from server.models import (
    Actor,
    Domain,
    DomainPolicy,
    Follow,
    FollowState,
    Mute,
    NormValue,
    Notification,
    NotificationKind,
    NotificationPermission,
    NotificationPolicy,
    PolicyAction,
    Post,
    ThreadMute,
    Visibility,
)
from server.services.errors import Invalid
from server.services.norm_settings import build, norm_field
from server.services.norms_registry import BY_NAME

#: The five filters, in Mastodon's order and under its names.
FILTERS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
NORMS = {name: f"notifications.{name}" for name in FILTERS}
#: Accounts younger than this are new (Mastodon's threshold).
NEW_ACCOUNT_AGE = timedelta(days=30)
#: A follower counts as one after this long (Mastodon's threshold): following someone
#: just before writing to them does not slip past the filter.
FOLLOWER_AGE = timedelta(days=3)
#: Kinds no filter holds back: the member must see edits of posts they interacted with.
UNFILTERED = frozenset({NotificationKind.update})


@dataclass(frozen=True)
class Policy:
    """A member's policy in force: each filter's action, and which ones are their own."""

    actions: Mapping[str, PolicyAction]
    own: frozenset[str]

    def __getitem__(self, name: str) -> PolicyAction:
        return self.actions[name]


@dataclass(frozen=True)
class CommunityPolicy:
    """The community's answer for each filter: the `notifications.*` norms."""

    for_not_following: PolicyAction = norm_field("notifications.for_not_following", PolicyAction)
    for_not_followers: PolicyAction = norm_field("notifications.for_not_followers", PolicyAction)
    for_new_accounts: PolicyAction = norm_field("notifications.for_new_accounts", PolicyAction)
    for_private_mentions: PolicyAction = norm_field(
        "notifications.for_private_mentions", PolicyAction
    )
    for_limited_accounts: PolicyAction = norm_field(
        "notifications.for_limited_accounts", PolicyAction
    )


def _community(stored: Mapping[str, Any]) -> dict[str, PolicyAction]:
    """The community's answers from the norms' stored values by filter (None where no
    admin set one: the default)."""
    values = {}
    for name, norm_name in NORMS.items():
        norm, raw = BY_NAME[norm_name], stored.get(name)
        try:
            values[norm_name] = norm.parse(norm.default if raw is None else raw)
        except Invalid:  # a stored value from an older registry: the default holds
            values[norm_name] = norm.default
    found = build(CommunityPolicy, values)
    return {name: getattr(found, name) for name in FILTERS}


async def community_defaults(session: AsyncSession) -> dict[str, PolicyAction]:
    """The community's answer for each filter: the norms in force (their defaults where
    no admin set them)."""
    rows = await session.exec(
        select(NormValue.name, NormValue.value).where(col(NormValue.name).in_(NORMS.values()))
    )
    stored = dict(rows.all())
    return _community({name: stored.get(NORMS[name]) for name in FILTERS})


async def policy_of(session: AsyncSession, actor_id: int) -> Policy:
    """The member's policy in force: their own answers over the community's."""
    row = await session.get(NotificationPolicy, actor_id)
    actions = await community_defaults(session)
    own = set()
    for name in FILTERS:
        value = getattr(row, name) if row is not None else None
        if value is not None:
            actions[name] = PolicyAction(value)
            own.add(name)
    return Policy(actions, frozenset(own))


async def change_policy(
    session: AsyncSession, actor_id: int, changes: Mapping[str, str | None], now: datetime
) -> Policy:
    """Set some of the member's filters (`accept`, `filter`, `drop`; None or "default"
    returns one to the community's default); Invalid names the filter and the choices."""
    parsed: dict[str, PolicyAction | None] = {}
    for name, raw in changes.items():
        if name not in FILTERS:
            raise Invalid(f"There is no notification filter called {name}.", field=name)
        text = (raw or "").strip().lower()
        if text in ("", "default"):
            parsed[name] = None
            continue
        try:
            parsed[name] = PolicyAction(text)
        except ValueError:
            raise Invalid(f"{name} must be one of: accept, filter, drop.", field=name) from None
    row = await session.get(NotificationPolicy, actor_id)
    if row is None:
        row = NotificationPolicy(actor_id=actor_id)
        session.add(row)
    for name, value in parsed.items():
        setattr(row, name, value)
    row.updated_at = now
    await session.commit()
    return await policy_of(session, actor_id)


@dataclass(frozen=True)
class Facts:
    """What the policy looks at for one recipient of a notification."""

    recipient_id: int
    muted: bool
    thread_muted: bool
    permitted: bool
    following: bool
    follower_since: datetime | None
    own: Mapping[str, str | None]


def _facts_statement() -> Any:
    """Per recipient: the mutes, permission and follows between them and the sender, and
    their own policy; on every row alike: the sender's age, whether their server is
    limited, the post's visibility, whom it answers, and the community's defaults."""
    recipients: BindParameter[list[int]] = bindparam("recipients", expanding=True)
    post: BindParameter[int] = bindparam("post")
    # Typed as the column, so the moment is stored and compared alike on both databases.
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    recipient, sender, parent = aliased(Actor), aliased(Actor), aliased(Post)
    r, s = col(recipient.id), col(sender.id)
    muted = exists(
        select(Mute.id).where(
            col(Mute.actor_id) == r,
            col(Mute.target_id) == s,
            col(Mute.notifications).is_(True),
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        )
    )
    thread_muted = exists(
        select(ThreadMute.id)
        .join(Post, col(Post.root_id) == ThreadMute.root_id)
        .where(col(ThreadMute.actor_id) == r, col(Post.id) == post)
    )
    permitted = exists(
        select(NotificationPermission.id).where(
            col(NotificationPermission.actor_id) == r,
            col(NotificationPermission.from_actor_id) == s,
        )
    )
    following = exists(
        select(Follow.id).where(
            col(Follow.follower_id) == r,
            col(Follow.followed_id) == s,
            col(Follow.state) == FollowState.accepted,
        )
    )
    follower_since = (
        select(Follow.created_at)
        .where(
            col(Follow.follower_id) == s,
            col(Follow.followed_id) == r,
            col(Follow.state) == FollowState.accepted,
        )
        .scalar_subquery()
    )
    # Limited by moderators, or on a limited server.
    limited = or_(
        col(sender.limited_at).is_not(None),
        and_(
            col(sender.domain).is_not(None),
            exists(
                select(Domain.domain).where(
                    col(Domain.domain) == sender.domain, col(Domain.policy) == DomainPolicy.limit
                )
            ),
        ),
    )
    visibility = select(Post.visibility).where(col(Post.id) == post).scalar_subquery()
    answered = (
        select(parent.actor_id)
        .join(Post, col(Post.in_reply_to_id) == parent.id)
        .where(col(Post.id) == post)
        .scalar_subquery()
    )
    community = [
        select(NormValue.value).where(col(NormValue.name) == NORMS[name]).scalar_subquery()
        for name in FILTERS
    ]
    # More columns than `select` has typed overloads for: passed as one list.
    selected: list[Any] = [
        r,
        muted,
        thread_muted,
        permitted,
        following,
        follower_since,
        sender.created_at,
        limited,
        visibility,
        answered,
        *(col(getattr(NotificationPolicy, name)) for name in FILTERS),
        *community,
    ]
    return (
        sa_select(*selected)
        .select_from(recipient)
        .join(sender, s == bindparam("sender"))
        .outerjoin(NotificationPolicy, col(NotificationPolicy.actor_id) == r)
        .where(r.in_(recipients))
    )


#: Built once: it runs for every batch of notifications written.
FACTS = _facts_statement()


def _action(
    facts: Facts,
    kind: NotificationKind,
    sender: tuple[datetime, bool, str | None, int | None],
    now: datetime,
) -> list[str]:
    """The filters that catch this notification for this recipient."""
    created_at, limited, visibility, answered = sender
    if facts.permitted or kind in UNFILTERED:
        return []
    caught = []
    if limited and not facts.following:
        caught.append("for_limited_accounts")
    if not facts.following:
        caught.append("for_not_following")
    if facts.follower_since is None or facts.follower_since > now - FOLLOWER_AGE:
        caught.append("for_not_followers")
    if created_at > now - NEW_ACCOUNT_AGE:
        caught.append("for_new_accounts")
    private = kind in (NotificationKind.mention, NotificationKind.reply)
    unsolicited = not facts.following and answered != facts.recipient_id
    if private and visibility == Visibility.direct and unsolicited:
        caught.append("for_private_mentions")
    return caught


async def sort(
    session: AsyncSession,
    told: Sequence[tuple[int, NotificationKind]],
    *,
    from_actor_id: int,
    post_id: int | None,
    now: datetime,
) -> list[tuple[int, NotificationKind, bool]]:
    """`told` as the recipients' policies have it: (recipient, kind, filtered), without
    the notifications dropped, those from people the recipient muted with their
    notifications, and those from threads the recipient muted."""
    if not told:
        return []
    params = {
        "recipients": sorted({r for r, _ in told}),
        "sender": from_actor_id,
        "post": post_id or 0,
        "now": now,
    }
    rows = (await session.exec(FACTS, params=params)).all()
    if not rows:
        return []
    count = len(FILTERS)
    sender = (rows[0][6], bool(rows[0][7]), rows[0][8], rows[0][9])
    defaults = _community(dict(zip(FILTERS, rows[0][10 + count :], strict=True)))
    facts: dict[int, Facts] = {}
    for row in rows:
        facts[row[0]] = Facts(
            row[0],
            bool(row[1]),
            bool(row[2]),
            bool(row[3]),
            bool(row[4]),
            row[5],
            dict(zip(FILTERS, row[10 : 10 + count], strict=True)),
        )
    sorted_out = []
    for recipient_id, kind in told:
        fact = facts.get(recipient_id)
        if fact is None or fact.muted or fact.thread_muted:
            continue
        answers = [
            defaults[name] if fact.own[name] is None else PolicyAction(str(fact.own[name]))
            for name in _action(fact, kind, sender, now)
        ]
        if PolicyAction.drop in answers:
            continue
        sorted_out.append((recipient_id, kind, PolicyAction.filter in answers))
    return sorted_out


def unmuted(actor_id: int, now: datetime) -> list[ColumnElement[bool]]:
    """Conditions on a query of `actor_id`'s notifications (joined to their post, if
    any) that leave out people muted with their notifications, and muted threads (never
    a new report, to moderators)."""
    muted_people = select(Mute.target_id).where(
        col(Mute.actor_id) == actor_id,
        col(Mute.notifications).is_(True),
        or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
    )
    muted_threads = select(ThreadMute.root_id).where(col(ThreadMute.actor_id) == actor_id)
    return [
        # A report reaches moderators even from someone they muted.
        or_(
            col(Notification.kind) == NotificationKind.new_report,
            col(Notification.from_actor_id).not_in(muted_people),
        ),
        or_(col(Post.id).is_(None), col(Post.root_id).not_in(muted_threads)),
    ]


def accepts_limited(
    recipient_id: int | BindParameter[int], sender: type[Actor]
) -> ColumnElement[bool]:
    """Whether the recipient lets people on limited servers in: that person accepted from
    the filtered inbox, or `for_limited_accounts` set to accept in their own policy."""
    return or_(
        exists(
            select(NotificationPermission.id).where(
                col(NotificationPermission.actor_id) == recipient_id,
                col(NotificationPermission.from_actor_id) == sender.id,
            )
        ),
        exists(
            select(NotificationPolicy.actor_id).where(
                col(NotificationPolicy.actor_id) == recipient_id,
                col(NotificationPolicy.for_limited_accounts) == PolicyAction.accept,
            )
        ),
    )
