"""Application and the OAuth token response."""

from __future__ import annotations

from typing import Any

from server.models import OAuthApp
from server.services.oauth_tokens import Issued


def application(app: OAuthApp, *, client_secret: str | None = None) -> dict[str, Any]:
    """The app as POST /api/v1/apps returns it (the secret only then) and verify_credentials."""
    uris = app.redirect_uris.split("\n")
    found: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
        "client_id": app.client_id,
    }
    if client_secret is not None:
        found["client_secret"] = client_secret
        found["client_secret_expires_at"] = 0
    return found


def token(issued: Issued) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.token.scopes,
        "created_at": int(issued.token.created_at.timestamp()),
    }
