"""OAuth tokens: issuing them, the grant behind a bearer token, and revoking them.

Tokens never expire until revoked, as on Mastodon, and are kept only as SHA-256 digests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import and_, bindparam, or_, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState, OAuthApp, OAuthToken
from server.services.events import Event, EventKind, announce
from server.services.grant_cache import GrantCache, Rows
from server.services.kept_rows import revive
from server.services.oauth_apps import OOB, OAuthError, digest, register_app
from server.services.oauth_scopes import grants, parse_scopes

#: last_used_at is written at most this often per token, not on every request.
USE_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    """A new access token, shown once."""

    token: OAuthToken
    access_token: str


async def issue(
    session: AsyncSession, app_id: int, member_id: int | None, scopes: str, now: datetime
) -> Issued:
    """A new token for the app (and the member, when there is one), committed."""
    plain = secrets.token_urlsafe(32)
    token = OAuthToken(
        token_hash=digest(plain), app_id=app_id, member_id=member_id, scopes=scopes, created_at=now
    )
    session.add(token)
    await session.commit()
    return Issued(token, plain)


async def client_credentials(
    session: AsyncSession, app: OAuthApp, scope: str | None, now: datetime
) -> Issued:
    """client_credentials grant: a token for the app itself, with no member behind it."""
    wanted = parse_scopes(scope)
    if not all(grants(app.scopes.split(), s) for s in wanted):
        raise OAuthError("invalid_scope", "The app asks for scopes it did not register.")
    assert app.id is not None
    return await issue(session, app.id, None, " ".join(sorted(wanted)), now)


async def create_token(
    session: AsyncSession, member_id: int, name: str, scopes: str | None, now: datetime
) -> Issued:
    """A token for a member's script or bot (`porch token create`): an app of its own."""
    registered = await register_app(
        session, name=name, redirect_uris=[OOB], scopes=scopes, website=None, now=now
    )
    app = registered.app
    assert app.id is not None
    return await issue(session, app.id, member_id, app.scopes, now)


async def revoke(session: AsyncSession, app: OAuthApp, access_token: str, now: datetime) -> None:
    """POST /oauth/revoke: the app's own token stops working; others' are left alone."""
    await session.exec(
        update(OAuthToken)
        .where(
            col(OAuthToken.token_hash) == digest(access_token),
            col(OAuthToken.app_id) == app.id,
            col(OAuthToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    # Whose token it was is not looked up: open streams check every grant they hold.
    announce(session, Event(EventKind.access_changed, 0))
    await session.commit()


class Grant:
    """Who a request's bearer token speaks for, and what it may do.

    The ids and scopes are plain values. The app, member and actor rows are the request's
    own objects; a grant taken from memory makes each in the request's session only when
    it is first asked for (most requests need the actor alone, many not even that).
    """

    __slots__ = ("token_id", "scopes", "member_id", "actor_id", "_rows", "_makers")

    def __init__(
        self,
        token_id: int,
        scopes: frozenset[str],
        member_id: int | None,
        actor_id: int | None,
        rows: dict[str, SQLModel | None] | None = None,
        makers: Mapping[str, Callable[[], SQLModel]] | None = None,
    ) -> None:
        self.token_id = token_id
        self.scopes = scopes
        self.member_id = member_id
        self.actor_id = actor_id
        self._rows = rows or {}
        self._makers = makers or {}

    def _row(self, name: str) -> SQLModel | None:
        if name not in self._rows:
            make = self._makers.get(name)
            self._rows[name] = make() if make is not None else None
        return self._rows[name]

    @property
    def app(self) -> OAuthApp:
        return cast(OAuthApp, self._row("app"))

    @property
    def member(self) -> Member | None:
        return cast(Member | None, self._row("member"))

    @property
    def actor(self) -> Actor | None:
        return cast(Actor | None, self._row("actor"))

    def allows(self, required: str) -> bool:
        return any(grants(self.scopes, r) for r in required.split("|"))


#: The rows a grant holds beside its token, in the order TOKEN_GRANT reads them.
_NAMES = ("app", "member", "actor")

#: One query for the token, its app, and the member and actor behind it.
TOKEN_GRANT = (
    select(OAuthToken, OAuthApp, Member, Actor)
    .join(OAuthApp, col(OAuthApp.id) == OAuthToken.app_id)
    .outerjoin(Member, col(Member.id) == OAuthToken.member_id)
    .outerjoin(Actor, col(Actor.id) == Member.actor_id)
    .where(OAuthToken.token_hash == bindparam("hash"))
)


async def authenticate(
    session: AsyncSession, access_token: str, now: datetime, kept: GrantCache | None = None
) -> Grant | None:
    """The grant behind a bearer token; None when it is unknown, revoked, or its member
    can no longer sign in (suspended accounts lose their apps with their sessions).
    With `kept`, a grant read moments ago is taken from memory (server/services/grant_cache.py
    says when it is dropped)."""
    hashed = digest(access_token)
    key = "token:" + hashed
    held = kept.values(key, now) if kept is not None else None
    # After the look: looking may drop everything kept (events may have been missed).
    generation = kept.generation if kept is not None else 0
    if held is None:
        found = (await session.exec(TOKEN_GRANT, params={"hash": hashed})).first()
        if found is None:
            return None
        read: Rows = (found[0], found[1], found[2], found[3])
        token, member, actor = (_columns(r) for r in (read[0], read[2], read[3]))
        rows: dict[str, SQLModel | None] = dict(zip(_NAMES, read[1:], strict=True))
        makers: dict[str, partial[SQLModel]] = {}
    else:
        token, member, actor = (v if m is not None else None for m, v in (held[0], *held[2:]))
        rows = {}
        makers = {
            name: partial(revive, session, model, values)
            for name, (model, values) in zip(_NAMES, held[1:], strict=True)
            if model is not None
        }
    assert token is not None
    if token["revoked_at"] is not None:
        return None
    if token["member_id"] is not None and (
        member is None
        or member["state"] != MemberState.active
        or actor is None
        or actor["suspended_at"] is not None
    ):
        return None
    if token["last_used_at"] is None or now - token["last_used_at"] > USE_RESOLUTION:
        row = cast(OAuthToken, read[0] if held is None else revive(session, OAuthToken, token))
        row.last_used_at = now
        await session.commit()
    if held is None and kept is not None:
        kept.put(key, generation, read, now)
    return Grant(
        token["id"],
        frozenset(token["scopes"].split()),
        token["member_id"],
        actor["id"] if actor is not None else None,
        rows,
        makers,
    )


def _columns(row: SQLModel | None) -> dict[str, Any] | None:
    return None if row is None else {k: getattr(row, k) for k in type(row).model_fields}


@dataclass(frozen=True)
class Authorized:
    """An app a member let in, for their settings page."""

    app: OAuthApp
    scopes: frozenset[str]
    authorized_at: datetime
    last_used_at: datetime | None


async def authorized_apps(session: AsyncSession, member_id: int) -> list[Authorized]:
    """The apps holding a live token of the member's, newest first."""
    rows = await session.exec(
        select(OAuthToken, OAuthApp)
        .join(OAuthApp, col(OAuthApp.id) == OAuthToken.app_id)
        .where(OAuthToken.member_id == member_id, col(OAuthToken.revoked_at).is_(None))
        .order_by(col(OAuthToken.created_at).desc())
    )
    found: dict[int, Authorized] = {}
    for token, app in rows.all():
        assert app.id is not None
        seen = found.get(app.id)
        scopes = frozenset(token.scopes.split()) | (seen.scopes if seen else frozenset())
        used = max(
            (t for t in (token.last_used_at, seen.last_used_at if seen else None) if t),
            default=None,
        )
        first = seen.authorized_at if seen else token.created_at
        found[app.id] = Authorized(app, scopes, min(first, token.created_at), used)
    return list(found.values())


async def revoke_app(session: AsyncSession, member_id: int, app_id: int, now: datetime) -> None:
    """The member withdraws an app's access: every token it holds for them stops working."""
    await session.exec(
        update(OAuthToken)
        .where(
            col(OAuthToken.member_id) == member_id,
            col(OAuthToken.app_id) == app_id,
            col(OAuthToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    await _announce_member(session, member_id)
    await session.commit()


async def revoke_member_tokens(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Every token of the member's stops working (suspension, or a new password), in the
    caller's transaction: the caller commits."""
    await session.exec(
        update(OAuthToken)
        .where(col(OAuthToken.member_id) == member_id, col(OAuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await _announce_member(session, member_id)


async def _announce_member(session: AsyncSession, member_id: int) -> None:
    actor_id = (await session.exec(select(Member.actor_id).where(Member.id == member_id))).first()
    announce(session, Event(EventKind.access_changed, actor_id or 0))


async def live(session: AsyncSession, token_ids: Collection[int]) -> set[int]:
    """Which of `token_ids` still hold, by `authenticate`'s rules, in one statement
    (open streams check all theirs together)."""
    if not token_ids:
        return set()
    rows = await session.exec(
        select(OAuthToken.id)
        .outerjoin(Member, col(Member.id) == OAuthToken.member_id)
        .outerjoin(Actor, col(Actor.id) == Member.actor_id)
        .where(
            col(OAuthToken.id).in_(list(token_ids)),
            col(OAuthToken.revoked_at).is_(None),
            or_(
                col(OAuthToken.member_id).is_(None),
                and_(
                    col(Member.state) == MemberState.active,
                    col(Actor.suspended_at).is_(None),
                    col(Actor.id).is_not(None),
                ),
            ),
        )
    )
    return {int(i) for i in rows.all() if i is not None}
