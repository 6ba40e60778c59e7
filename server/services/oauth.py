"""OAuth 2 for apps: registration, consent, codes with PKCE, tokens, scopes, revocation.

The rules follow Mastodon's, so its apps work unchanged: the same scope names and
hierarchy, the out-of-band redirect, codes that last ten minutes, tokens that never
expire until revoked. Tokens and secrets are kept only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Member, MemberState, OAuthApp, OAuthCode, OAuthToken
from server.services.errors import Invalid, NotFound, ServiceError

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
#: last_used_at is written at most this often per token, not on every request.
USE_RESOLUTION = timedelta(hours=1)

_GRANULAR = {
    "read": (
        "accounts blocks bookmarks favourites filters follows lists mutes notifications "
        "search statuses"
    ),
    "write": (
        "accounts blocks bookmarks conversations favourites filters follows lists media "
        "mutes notifications reports statuses"
    ),
}
#: Every scope Porch understands; apps asking for others are refused, as Mastodon does.
KNOWN_SCOPES = frozenset(
    ["read", "write", "follow", "push", "profile"]
    + [f"{top}:{part}" for top, parts in _GRANULAR.items() for part in parts.split()]
)
#: The legacy "follow" scope stands for these.
_FOLLOW = frozenset(
    ["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"]
)


class OAuthError(ServiceError):
    """An OAuth failure, named by RFC 6749's error codes (invalid_grant, invalid_client…)."""

    def __init__(self, error: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


def parse_scopes(text: str | None, *, default: str = "read") -> frozenset[str]:
    """Scopes from a space- or plus-separated string; unknown names are refused."""
    names = frozenset((text or default).replace("+", " ").split())
    unknown = sorted(names - KNOWN_SCOPES)
    if unknown:
        raise Invalid(f"Unknown scope: {', '.join(unknown)}.", field="scope")
    return names or frozenset([default])


def grants(scopes: Iterable[str], required: str) -> bool:
    """Whether a token with `scopes` may do what needs `required` (e.g. "read:statuses")."""
    held = set(scopes)
    if required in held:
        return True
    top = required.split(":", 1)[0]
    if ":" in required and top in held:
        return True
    return "follow" in held and required in _FOLLOW


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _same(secret: str, digest: str) -> bool:
    return hmac.compare_digest(_digest(secret), digest)


def _check_redirect_uri(uri: str) -> str:
    uri = uri.strip()
    if uri == OOB:
        return uri
    parts = urlsplit(uri)
    # Apps on phones use their own schemes (com.tapbots.Ivory…:/request_token, and
    # Ice Cubes' bare icecubesapp://): a scheme is what makes it absolute.
    unsafe = parts.scheme.lower() in ("javascript", "data", "vbscript", "file", "blob")
    if not parts.scheme or unsafe or parts.fragment or any(c.isspace() for c in uri):
        raise Invalid(
            f"{uri!r} is not an absolute URI an app can receive codes at.", field="redirect_uris"
        )
    return uri


@dataclass(frozen=True)
class Registered:
    """A new app and the client secret it is shown once."""

    app: OAuthApp
    client_secret: str


async def register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: str | None,
    website: str | None,
    now: datetime,
) -> Registered:
    """Register an app (POST /api/v1/apps): anyone may, and apps never expire."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("Give the app a name (client_name).", field="client_name")
    if len(name) > 200:
        raise Invalid("App names are at most 200 characters.", field="client_name")
    uris = [_check_redirect_uri(u) for u in redirect_uris if u.strip()]
    if not uris:
        raise Invalid("Give at least one redirect URI (redirect_uris).", field="redirect_uris")
    if website and not urlsplit(website).scheme.startswith("http"):
        website = None  # Mastodon ignores websites that are not web addresses
    allowed = parse_scopes(scopes)
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        name=name,
        website=website or None,
        redirect_uris="\n".join(dict.fromkeys(uris)),
        scopes=" ".join(sorted(allowed)),
        client_id=secrets.token_urlsafe(32),
        client_secret_hash=_digest(secret),
        created_at=now,
    )
    session.add(app)
    await session.commit()
    return Registered(app, secret)


async def app_by_client_id(session: AsyncSession, client_id: str) -> OAuthApp:
    app = (await session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id))).first()
    if app is None:
        raise NotFound("No app is registered with this client_id.")
    return app


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked GET /oauth/authorize: what the consent page shows and the code carries."""

    app: OAuthApp
    scopes: frozenset[str]
    redirect_uri: str
    state: str | None
    code_challenge: str | None


async def check_authorization(
    session: AsyncSession,
    *,
    client_id: str,
    redirect_uri: str,
    response_type: str,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    """Check an authorization request before showing the consent page.

    Errors are shown to the member, never sent to the redirect URI: until the
    client and its redirect URI check out, nobody knows where a redirect would lead.
    """
    app = await app_by_client_id(session, client_id)
    if redirect_uri not in app.redirect_uris.split("\n"):
        raise Invalid("The redirect_uri is not one this app registered.", field="redirect_uri")
    if response_type != "code":
        raise Invalid("Only response_type=code is supported.", field="response_type")
    wanted = parse_scopes(scope)
    if not all(grants(app.scopes.split(), s) for s in wanted):
        raise Invalid("The app asks for scopes it did not register.", field="scope")
    if code_challenge is not None:
        if (code_challenge_method or "plain") != "S256":
            raise Invalid(
                "Only the S256 code challenge method is supported.", field="code_challenge_method"
            )
        if not 43 <= len(code_challenge) <= 128:
            raise Invalid("The code_challenge is not an S256 challenge.", field="code_challenge")
    return AuthorizationRequest(app, wanted, redirect_uri, state, code_challenge)


async def grant_code(
    session: AsyncSession, request: AuthorizationRequest, member_id: int, now: datetime
) -> str:
    """The member consented: a one-time code the app exchanges for a token."""
    code = secrets.token_urlsafe(32)
    assert request.app.id is not None
    session.add(
        OAuthCode(
            code_hash=_digest(code),
            app_id=request.app.id,
            member_id=member_id,
            scopes=" ".join(sorted(request.scopes)),
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            expires_at=now + CODE_LIFETIME,
        )
    )
    await session.commit()
    return code


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str
) -> OAuthApp:
    """The app whose credentials these are, or invalid_client (401)."""
    app = (await session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id))).first()
    if app is None or not _same(client_secret, app.client_secret_hash):
        raise OAuthError(
            "invalid_client",
            "Client authentication failed: check client_id and client_secret.",
            status=401,
        )
    return app


@dataclass(frozen=True)
class Issued:
    """A new access token, shown once."""

    token: OAuthToken
    access_token: str


async def _issue(
    session: AsyncSession, app_id: int, member_id: int | None, scopes: str, now: datetime
) -> Issued:
    plain = secrets.token_urlsafe(32)
    token = OAuthToken(
        token_hash=_digest(plain), app_id=app_id, member_id=member_id, scopes=scopes, created_at=now
    )
    session.add(token)
    await session.commit()
    return Issued(token, plain)


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected, challenge)


async def exchange_code(
    session: AsyncSession,
    app: OAuthApp,
    *,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: datetime,
) -> Issued:
    """authorization_code grant: the code is used up whether or not the exchange succeeds.

    Taking the code is one conditional DELETE … RETURNING, so of several requests racing
    with one code exactly one gets it; the others find it gone.
    """
    claimed = await session.exec(
        delete(OAuthCode)
        .where(col(OAuthCode.code_hash) == _digest(code), col(OAuthCode.app_id) == app.id)
        .returning(
            OAuthCode.member_id,
            OAuthCode.scopes,
            OAuthCode.redirect_uri,
            OAuthCode.code_challenge,
            OAuthCode.expires_at,
        )
    )  # type: ignore[call-overload]
    row = claimed.first()
    await session.commit()
    if row is None:
        raise OAuthError("invalid_grant", "The authorization code is unknown or was used already.")
    member_id, scopes, authorized_uri, challenge, expires_at = row
    if expires_at < now:
        raise OAuthError(
            "invalid_grant", "The authorization code expired; authorize the app again."
        )
    # RFC 6749 4.1.3: the redirect_uri given at authorize must come again, identical.
    if redirect_uri is None:
        raise OAuthError(
            "invalid_grant",
            "Send the redirect_uri the app was authorized with; it is required with a code.",
        )
    if redirect_uri != authorized_uri:
        raise OAuthError("invalid_grant", "The redirect_uri differs from the one authorized.")
    if challenge is not None and not (code_verifier and _pkce_matches(code_verifier, challenge)):
        raise OAuthError("invalid_grant", "The code_verifier does not match the code challenge.")
    member = await session.get(Member, member_id)
    if member is None or member.state != MemberState.active:
        raise OAuthError("invalid_grant", "This account cannot sign in.")
    assert app.id is not None
    return await _issue(session, app.id, member_id, scopes, now)


async def client_credentials(
    session: AsyncSession, app: OAuthApp, scope: str | None, now: datetime
) -> Issued:
    """client_credentials grant: a token for the app itself, with no member behind it."""
    wanted = parse_scopes(scope)
    if not all(grants(app.scopes.split(), s) for s in wanted):
        raise OAuthError("invalid_scope", "The app asks for scopes it did not register.")
    assert app.id is not None
    return await _issue(session, app.id, None, " ".join(sorted(wanted)), now)


async def create_token(
    session: AsyncSession, member_id: int, name: str, scopes: str | None, now: datetime
) -> Issued:
    """A token for a member's script or bot (`porch token create`): an app of its own."""
    registered = await register_app(
        session, name=name, redirect_uris=[OOB], scopes=scopes, website=None, now=now
    )
    app = registered.app
    assert app.id is not None
    return await _issue(session, app.id, member_id, app.scopes, now)


async def revoke(session: AsyncSession, app: OAuthApp, access_token: str, now: datetime) -> None:
    """POST /oauth/revoke: the app's own token stops working; others' are left alone."""
    await session.exec(
        update(OAuthToken)
        .where(
            col(OAuthToken.token_hash) == _digest(access_token),
            col(OAuthToken.app_id) == app.id,
            col(OAuthToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )  # type: ignore[call-overload]
    await session.commit()


@dataclass(frozen=True)
class Grant:
    """Who a request's bearer token speaks for, and what it may do."""

    token_id: int
    app: OAuthApp
    scopes: frozenset[str]
    member: Member | None
    actor: Actor | None

    def allows(self, required: str) -> bool:
        return any(grants(self.scopes, r) for r in required.split("|"))


async def authenticate(session: AsyncSession, access_token: str, now: datetime) -> Grant | None:
    """The grant behind a bearer token; None when it is unknown, revoked, or its member
    can no longer sign in (suspended accounts lose their apps with their sessions)."""
    # One query for the token, its app, and the member and actor behind it.
    row = (
        await session.exec(
            select(OAuthToken, OAuthApp, Member, Actor)
            .join(OAuthApp, col(OAuthApp.id) == OAuthToken.app_id)
            .outerjoin(Member, col(Member.id) == OAuthToken.member_id)
            .outerjoin(Actor, col(Actor.id) == Member.actor_id)
            .where(OAuthToken.token_hash == _digest(access_token))
        )
    ).first()
    if row is None or row[0].revoked_at is not None:
        return None
    token, app, member, actor = row
    if token.member_id is not None and (
        member is None
        or member.state != MemberState.active
        or actor is None
        or actor.suspended_at is not None
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > USE_RESOLUTION:
        token.last_used_at = now
        await session.commit()
    assert token.id is not None
    return Grant(token.id, app, frozenset(token.scopes.split()), member, actor)


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
    )  # type: ignore[call-overload]
    await session.commit()


async def revoke_member_tokens(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Every token of the member's stops working (suspension, or a new password), in the
    caller's transaction: the caller commits."""
    await session.exec(
        update(OAuthToken)
        .where(col(OAuthToken.member_id) == member_id, col(OAuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )  # type: ignore[call-overload]
