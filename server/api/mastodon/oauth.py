"""OAuth's JSON side: registering apps, exchanging codes for tokens, revoking them.

The consent page itself is a web page (server/web/oauth.py). Errors here follow
RFC 6749 (`error` and `error_description`), which is what apps' OAuth code reads.
"""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.api.mastodon.context import Call, endpoint
from server.api.mastodon.entities.apps import application, token
from server.api.mastodon.params import Params
from server.json_response import JSONResponse
from server.services import oauth_apps, oauth_codes, oauth_tokens
from server.services.errors import ServiceError
from server.services.oauth_apps import OAuthError
from server.services.oauth_scopes import KNOWN_SCOPES
from server.text import clean

log = logging.getLogger(__name__)


@endpoint(public=True)
async def register(call: Call) -> Response:
    """POST /api/v1/apps: form, JSON or query parameters alike (Ice Cubes sends the last)."""
    params = call.params
    uris = params.texts("redirect_uris")
    if len(uris) == 1:
        uris = uris[0].split()  # one string with several URIs, space or newline separated
    registered = await oauth_apps.register_app(
        call.session,
        name=params.text("client_name") or "",
        redirect_uris=uris,
        scopes=params.text("scopes"),
        website=params.text("website"),
        now=call.now,
    )
    return JSONResponse(application(registered.app, client_secret=registered.client_secret))


@endpoint(public=True)
async def verify_app(call: Call) -> Response:
    """GET /api/v1/apps/verify_credentials: the app behind the token."""
    if call.grant is None:
        return JSONResponse({"error": "The access token is invalid"}, status_code=401)
    return JSONResponse(application(call.grant.app))


def _oauth_error(exc: ServiceError) -> JSONResponse:
    code = exc.error if isinstance(exc, OAuthError) else "invalid_request"
    headers = {"WWW-Authenticate": 'Basic realm="porch"'} if code == "invalid_client" else None
    body = {"error": code, "error_description": exc.message}
    return JSONResponse(body, status_code=exc.status if exc.status < 500 else 400, headers=headers)


def _client_credentials(request: Request, params: Params) -> tuple[str, str]:
    """client_id and client_secret from HTTP Basic or the body, as RFC 6749 allows."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                "invalid_client", "The Basic credentials are not base64.", status=401
            ) from None
        client_id, _, secret = decoded.partition(":")
        # Decoded twice (base64, then form-encoding): clean it as Params cleans the body.
        return clean(unquote(client_id)), clean(unquote(secret))
    return params.text("client_id") or "", params.text("client_secret") or ""


async def issue_token(request: Request) -> Response:
    """POST /oauth/token: authorization_code (with PKCE) and client_credentials grants."""
    async with request.app.state.sessions() as session:
        now = request.app.state.clock.now()
        try:
            params = await Params.read(request)
            grant_type = params.text("grant_type") or ""
            if grant_type not in ("authorization_code", "client_credentials"):
                raise OAuthError(
                    "unsupported_grant_type",
                    "Use grant_type authorization_code or client_credentials.",
                )
            client_id, secret = _client_credentials(request, params)
            app = await oauth_apps.authenticate_client(session, client_id, secret)
            if grant_type == "client_credentials":
                issued = await oauth_tokens.client_credentials(
                    session, app, params.text("scope"), now
                )
            else:
                issued = await oauth_codes.exchange_code(
                    session,
                    app,
                    code=params.text("code") or "",
                    redirect_uri=params.text("redirect_uri"),
                    code_verifier=params.text("code_verifier"),
                    now=now,
                )
        except ServiceError as exc:
            log.info("token request refused: %s", exc.message)
            return _oauth_error(exc)
        except HTTPException as exc:
            return _oauth_error(OAuthError("invalid_request", str(exc.detail)))
    return JSONResponse(token(issued), headers={"Cache-Control": "no-store"})


async def revoke_token(request: Request) -> Response:
    """POST /oauth/revoke (RFC 7009): 200 whether or not the token was live."""
    async with request.app.state.sessions() as session:
        try:
            params = await Params.read(request)
            client_id, secret = _client_credentials(request, params)
            app = await oauth_apps.authenticate_client(session, client_id, secret)
            await oauth_tokens.revoke(
                session, app, params.text("token") or "", request.app.state.clock.now()
            )
        except ServiceError as exc:
            log.info("token revocation refused: %s", exc.message)
            return _oauth_error(exc)
        except HTTPException as exc:
            return _oauth_error(OAuthError("invalid_request", str(exc.detail)))
    return JSONResponse({})


async def server_metadata(request: Request) -> Response:
    """GET /.well-known/oauth-authorization-server (RFC 8414), as Mastodon 4.3 serves it."""
    base = request.app.state.settings.base_url
    return JSONResponse(
        {
            "issuer": base + "/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": base + "/oauth/authorize",
            "token_endpoint": base + "/oauth/token",
            "revocation_endpoint": base + "/oauth/revoke",
            "app_registration_endpoint": base + "/api/v1/apps",
            "scopes_supported": sorted(KNOWN_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
