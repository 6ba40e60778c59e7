"""OAuth 2 for apps: registered applications, authorization codes and access tokens.

Secrets, codes and tokens are stored as SHA-256 digests: they are long random strings,
so a digest is enough to recognise them and a copy of the database reveals none.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class OAuthApp(SQLModel, table=True):
    """An app registered through POST /api/v1/apps (or `porch token create`)."""

    __tablename__ = "oauth_apps"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    website: str | None = Field(default=None, max_length=2048)
    #: The redirect URIs the app registered, one per line.
    redirect_uris: str = Field(max_length=4000)
    #: The scopes the app may ask for, space-separated.
    scopes: str = Field(max_length=1000)
    client_id: str = Field(max_length=64, unique=True)
    client_secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class OAuthCode(SQLModel, table=True):
    """A one-time authorization code, given after a member consents; short-lived."""

    __tablename__ = "oauth_codes"

    code_hash: str = Field(max_length=64, primary_key=True)
    app_id: int = Field(foreign_key="oauth_apps.id", index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    scopes: str = Field(max_length=1000)
    redirect_uri: str = Field(max_length=2048)
    #: PKCE: the S256 challenge the app sent with the authorization request.
    code_challenge: str | None = Field(default=None, max_length=128)
    expires_at: datetime


class OAuthToken(SQLModel, table=True):
    """An access token: a member's (authorization code) or an app's own (client credentials)."""

    __tablename__ = "oauth_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    app_id: int = Field(foreign_key="oauth_apps.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="members.id", index=True)
    scopes: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)
