"""OAuth apps: registering them, authenticating them, and the errors of the OAuth doors.

The rules follow Mastodon's, so its apps work unchanged: anyone may register an app,
apps never expire, the out-of-band redirect is allowed. Secrets are kept only as
SHA-256 digests. Codes are server/services/oauth_codes.py, tokens oauth_tokens.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import OAuthApp
from server.services.errors import Invalid, NotFound, ServiceError
from server.services.oauth_scopes import parse_scopes

OOB = "urn:ietf:wg:oauth:2.0:oob"


class OAuthError(ServiceError):
    """An OAuth failure, named by RFC 6749's error codes (invalid_grant, invalid_client…)."""

    def __init__(self, error: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


def digest(secret: str) -> str:
    """How a secret, code or token is kept: its SHA-256 digest, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(secret: str, kept: str) -> bool:
    """Whether `secret` is the one whose digest was kept (in constant time)."""
    return hmac.compare_digest(digest(secret), kept)


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
        client_secret_hash=digest(secret),
        created_at=now,
    )
    session.add(app)
    await session.commit()
    return Registered(app, secret)


async def app_by_client_id(session: AsyncSession, client_id: str) -> OAuthApp:
    """The app registered with `client_id`; NotFound otherwise."""
    app = (await session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id))).first()
    if app is None:
        raise NotFound("No app is registered with this client_id.")
    return app


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str
) -> OAuthApp:
    """The app whose credentials these are, or invalid_client (401)."""
    app = (await session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id))).first()
    if app is None or not same_secret(client_secret, app.client_secret_hash):
        raise OAuthError(
            "invalid_client",
            "Client authentication failed: check client_id and client_secret.",
            status=401,
        )
    return app
