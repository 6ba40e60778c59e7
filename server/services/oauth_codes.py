"""OAuth codes: consent turned into a one-time code, exchanged for a token (with PKCE).

Codes last ten minutes, as on Mastodon, and are kept only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Member, MemberState, OAuthApp, OAuthCode
from server.services.errors import Invalid
from server.services.oauth_apps import OAuthError, app_by_client_id, digest
from server.services.oauth_scopes import grants, parse_scopes
from server.services.oauth_tokens import Issued, issue

CODE_LIFETIME = timedelta(minutes=10)


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
            code_hash=digest(code),
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
        .where(col(OAuthCode.code_hash) == digest(code), col(OAuthCode.app_id) == app.id)
        .returning(
            col(OAuthCode.member_id),
            col(OAuthCode.scopes),
            col(OAuthCode.redirect_uri),
            col(OAuthCode.code_challenge),
            col(OAuthCode.expires_at),
        )
    )
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
    return await issue(session, app.id, member_id, scopes, now)
