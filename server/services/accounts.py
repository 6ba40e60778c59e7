"""Members and their actors: sign-up, login, approval, suspension, profiles."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import RegistrationMode
from server.models import Actor, Member, MemberRole, MemberState, OutboxKind
from server.models.actors import MEMBER_STATES
from server.services import (
    audit,
    feeds,
    mail_notices,
    oauth_tokens,
    outbox,
    passwords,
    sessions,
    signup_checks,
    states,
    usernames,
)
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.events import Event, EventKind, announce

MAX_DISPLAY_NAME = 100
MAX_BIO = 500


@dataclass(frozen=True)
class Signed:
    """A member with their actor, as most pages need both."""

    member: Member
    actor: Actor

    @property
    def actor_id(self) -> int:
        """The member's actor's id (a member's actor is stored before the member is)."""
        return self.member.actor_id


async def create_member(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password: str,
    role: MemberRole = MemberRole.member,
    state: MemberState = MemberState.active,
    reason: str = "",
    confirmed: bool = False,
    reason_error: str = "",
    now: datetime,
) -> Signed:
    """Create a local member and their actor after checking every rule (`reason_error`,
    when given, is one more that failed, reported with the others); `confirmed` takes
    the address as proved (an admin vouches for it)."""
    username, email = await signup_checks.checked(session, username, email, password, reason_error)
    actor = Actor(username=username, acct_key=usernames.normalise(username), created_at=now)
    session.add(actor)
    await session.flush()
    assert actor.id is not None
    member = Member(
        actor_id=actor.id,
        email=email,
        password_hash=await asyncio.to_thread(passwords.hash_password, password),
        role=role,
        state=MEMBER_STATES.start(state),
        signup_reason=reason.strip()[:1000],
        created_at=now,
        email_confirmed_at=now if confirmed else None,
    )
    session.add(member)
    await session.commit()
    return Signed(member, actor)


async def sign_up(
    session: AsyncSession,
    *,
    mode: RegistrationMode,
    username: str,
    email: str,
    password: str,
    reason: str,
    confirmed: bool = False,
    now: datetime,
) -> Signed:
    """Sign up through the web under the instance's registration mode; `confirmed` takes
    the address as given (when Porch sends no mail, nobody could confirm it)."""
    if mode is RegistrationMode.closed:
        raise Forbidden("This community is not taking new members right now.")
    state = MemberState.pending if mode is RegistrationMode.approval else MemberState.active
    needs_reason = mode is RegistrationMode.approval and not reason.strip()
    return await create_member(
        session,
        username=username,
        email=email,
        password=password,
        state=state,
        reason=reason,
        confirmed=confirmed,
        reason_error="Tell the admins a little about why you would like to join."
        if needs_reason
        else "",
        now=now,
    )


async def _find(session: AsyncSession, login: str) -> Signed | None:
    login = login.strip().lstrip("@").lower()
    query = select(Member, Actor).join(Actor, col(Actor.id) == Member.actor_id)
    if "@" in login:
        query = query.where(Member.email == login)
    else:
        query = query.where(Actor.acct_key == login)
    row = (await session.exec(query)).first()
    return Signed(*row) if row else None


async def authenticate(
    session: AsyncSession, *, login: str, password: str, now: datetime
) -> Signed:
    """The member with this username or email and password, if they may log in."""
    found = await _find(session, login)
    # Argon2 is deliberately slow: run it off the event loop so other requests go on.
    if found is None:
        await asyncio.to_thread(passwords.verify_nobody, password)
        raise Invalid("That username or password is not right.")
    if not await asyncio.to_thread(passwords.verify_password, found.member.password_hash, password):
        raise Invalid("That username or password is not right.")
    if found.member.state == MemberState.pending:
        raise Forbidden(
            "Your sign-up is waiting for an admin's approval. You'll be able to log in then."
        )
    if found.member.state == MemberState.rejected:
        # They proved who they are with the password: they may read the admins' reason.
        reason = await audit.last_detail(session, "member.reject", found.actor_id)
        raise Forbidden(
            "The admins did not accept this sign-up."
            + (f" Their reason: {reason}" if reason else "")
        )
    if found.member.state == MemberState.suspended:
        raise Forbidden("This account is suspended and cannot log in.")
    if passwords.needs_rehash(found.member.password_hash):
        found.member.password_hash = await asyncio.to_thread(passwords.hash_password, password)
    found.member.last_login_at = now
    session.add(found.member)
    await session.commit()
    return found


async def change_password(
    session: AsyncSession,
    member: Member,
    *,
    current: str,
    new: str,
    keep_session: str | None,
    revoke_apps: bool,
    now: datetime,
) -> int:
    """Set a new password after checking the current one. Every other session ends (a
    new password is how people shut out someone who learnt the old one), and with
    `revoke_apps` every app loses its access too. Returns how many sessions ended."""
    if not await asyncio.to_thread(passwords.verify_password, member.password_hash, current):
        raise Invalid("Your current password is not right.", field="current_password")
    passwords.check_strength(new)
    member.password_hash = await asyncio.to_thread(passwords.hash_password, new)
    session.add(member)
    assert member.id is not None
    ended = await sessions.end_others(session, member.id, keep_session)
    if revoke_apps:
        await oauth_tokens.revoke_member_tokens(session, member.id, now)
    await session.commit()
    return ended


async def local_actor(session: AsyncSession, username: str) -> Actor:
    """The local actor called `username` (any case) whose member is active, or NotFound.

    Suspended, rejected and not-yet-approved members have no public face.
    """
    row = (
        await session.exec(
            select(Actor, Member.state)
            .outerjoin(Member, col(Member.actor_id) == Actor.id)
            .where(Actor.acct_key == usernames.normalise(username), col(Actor.domain).is_(None))
        )
    ).first()
    if row is None or (row[1] is not None and row[1] != MemberState.active):
        raise NotFound(f"There is nobody called @{username} here.")
    return row[0]


async def actor_by_id(session: AsyncSession, actor_id: int) -> Actor:
    """Anyone Porch knows, by id: a member with a public face, or a remote person."""
    row = (
        await session.exec(
            select(Actor, Member.state)
            .outerjoin(Member, col(Member.actor_id) == Actor.id)
            .where(Actor.id == actor_id, col(Actor.suspended_at).is_(None))
        )
    ).first()
    if row is None or (row[1] is not None and row[1] != MemberState.active):
        raise NotFound("This account does not exist.")
    return row[0]


async def actor_by_handle(session: AsyncSession, handle: str) -> Actor:
    """A local member by username, or a remote person Porch knows as user@domain."""
    if "@" not in handle:
        return await local_actor(session, handle)
    found = (
        await session.exec(
            select(Actor).where(
                Actor.acct_key == handle.lower(),
                col(Actor.domain).is_not(None),
                col(Actor.suspended_at).is_(None),
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"Porch does not know @{handle}; search for them to find them.")
    return found


MAX_FIELDS = 4
MAX_INTERACTION_NOTE = 500
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 255


def _check_fields(fields: list[tuple[str, str]]) -> list[dict[str, str]]:
    kept = [(" ".join(n.split()), v.strip()) for n, v in fields if n.strip() or v.strip()]
    if len(kept) > MAX_FIELDS:
        raise Invalid(f"A profile has at most {MAX_FIELDS} fields.", field="fields")
    for name, value in kept:
        if not name or len(name) > MAX_FIELD_NAME or len(value) > MAX_FIELD_VALUE:
            raise Invalid(
                f"Each field needs a name; names and values are at most {MAX_FIELD_VALUE} "
                "characters.",
                field="fields",
            )
    return [{"name": n, "value": v} for n, v in kept]


async def update_profile(
    session: AsyncSession,
    actor: Actor,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    avatar_path: str | None = None,
    header_path: str | None = None,
    locked: bool | None = None,
    fields: list[tuple[str, str]] | None = None,
    interaction_note: str | None = None,
    now: datetime,
) -> Actor:
    """Change what a member shows of themselves; what is not given stays as it is.
    Followers on other servers are sent the new profile."""
    if display_name is not None:
        display_name = " ".join(display_name.split())
        if len(display_name) > MAX_DISPLAY_NAME:
            raise Invalid(
                f"Display names are at most {MAX_DISPLAY_NAME} characters.", field="display_name"
            )
        actor.display_name = display_name
    if bio is not None:
        bio = bio.strip().replace("\r\n", "\n")
        if len(bio) > MAX_BIO:
            raise Invalid(f"Bios are at most {MAX_BIO} characters.", field="bio")
        actor.bio = bio
    if fields is not None:
        actor.fields = _check_fields(fields)
    if interaction_note is not None:
        note = " ".join(interaction_note.split())
        if len(note) > MAX_INTERACTION_NOTE:
            raise Invalid(
                f"Keep it to {MAX_INTERACTION_NOTE} characters.", field="interaction_note"
            )
        actor.interaction_note = note
    if avatar_path is not None:
        actor.avatar_path = avatar_path
    if header_path is not None:
        actor.header_path = header_path
    if locked is not None:
        actor.locked = locked
    session.add(actor)
    outbox.record(session, OutboxKind.update_actor, actor.id, now=now)
    assert actor.id is not None  # a stored row
    announce(session, Event(EventKind.stale, actor.id, topic="actor"))
    await session.commit()
    return actor


async def names_of(session: AsyncSession, actor_ids: set[int]) -> dict[int, str]:
    """@handles by actor id, for lists that name who did something."""
    if not actor_ids:
        return {}
    rows = await session.exec(select(Actor).where(col(Actor.id).in_(actor_ids)))
    return {a.id: f"@{a.handle}" for a in rows.all() if a.id is not None}


async def list_members(session: AsyncSession, state: MemberState | None = None) -> list[Signed]:
    query = select(Member, Actor).join(Actor, col(Actor.id) == Member.actor_id)
    if state is not None:
        query = query.where(Member.state == state)
    rows = await session.exec(query.order_by(func.lower(Actor.username)))
    return [Signed(m, a) for m, a in rows.all()]


async def local_member(session: AsyncSession, username: str) -> Signed:
    """An active member by username or email, or NotFound."""
    found = await _find(session, username)
    if found is None or found.actor.domain is not None:
        raise NotFound(f"There is no member called {username}.")
    if found.member.state != MemberState.active:
        raise NotFound(f"@{found.actor.username} is {found.member.state}, not active.")
    return found


async def set_state(
    session: AsyncSession, username: str, state: MemberState, now: datetime
) -> Signed:
    """Approve, reject, suspend or reinstate a member.

    Suspension ends their sessions and their apps' access, and hides their profile and
    posts everywhere.
    """
    found = await _find(session, username)
    if found is None or found.actor.domain is not None:
        raise NotFound(f"There is no member called {username}.")
    assert found.actor.id is not None
    if state in (MemberState.suspended, MemberState.rejected):
        # Their sessions and app tokens end for good: reinstating restores the account,
        # not whatever browser or app was signed in when it was suspended.
        assert found.member.id is not None
        await sessions.end_others(session, found.member.id, keep_key=None)
        await oauth_tokens.revoke_member_tokens(session, found.member.id, now)
        found.actor.suspended_at = found.actor.suspended_at or now
        await feeds.drop_author(session, found.actor.id)
    elif found.actor.suspended_at is not None:
        found.actor.suspended_at = None
        session.add(found.actor)
        await session.flush()
        await feeds.restore_author(session, found.actor.id)
    assert found.member.id is not None
    before = found.member.state
    # Conditional: an admin acting on a standing another admin just changed is told so.
    if not await states.move(session, Member, found.member.id, before, state):
        raise Conflict(f"@{found.actor.username} was changed meanwhile; look again.")
    await session.refresh(found.member)
    mail_notices.standing_changed(session, found.member, found.actor, before, now)
    session.add(found.actor)
    # Their actor document, WebFinger answer and posts' documents appear or disappear.
    announce(session, Event(EventKind.stale, found.member.actor_id, topic="actor"))
    await session.commit()
    return found


HOME_ORDERS = ("conversations", "latest")


async def set_home_order(session: AsyncSession, member: Member, order: str) -> None:
    """Remember whether the member reads their home as Conversations or Latest."""
    if order not in HOME_ORDERS:
        raise Invalid("Choose Conversations or Latest.", field="order")
    member.home_order = order
    session.add(member)
    await session.commit()


async def set_show_counts(session: AsyncSession, member: Member, shown: bool) -> None:
    """Remember whether the member always sees like and boost counts."""
    member.show_counts = shown
    session.add(member)
    await session.commit()
