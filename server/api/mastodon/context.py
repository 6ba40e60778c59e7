"""What every client-API handler needs: the caller's grant, parameters, errors in Mastodon's shape.

Handlers are written as `async def handler(call: Call) -> Response` and wrapped with
`endpoint(scope=...)`, which opens the session, checks the bearer token and its scope,
and turns every refusal into Mastodon's error JSON (`{"error": "..."}`), never a page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from server import norms_kept
from server.api.mastodon.params import Params
from server.config import Settings
from server.ids import MAX_ID, MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import Actor, Member
from server.services import norms, oauth_tokens, posting_rules
from server.services.errors import RateLimited, ServiceError
from server.services.oauth_tokens import Grant
from server.services.posting_rules import Rules
from server.services.remote_lookup import RemoteLookup
from server.urls import Urls

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with Mastodon's status and message."""

    def __init__(self, status: int, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def error(status: int, message: str, **headers: str) -> JSONResponse:
    """Mastodon's error entity."""
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


@dataclass
class Call:
    """One API request: who makes it (the grant), with what, against which database."""

    request: Request
    session: AsyncSession
    params: Params
    grant: Grant | None

    @property
    def settings(self) -> Settings:
        return self.request.app.state.settings

    @property
    def urls(self) -> Urls:
        return self.request.app.state.urls

    @property
    def remote_lookup(self) -> RemoteLookup:
        """How services reach people and posts on other servers."""
        return self.request.app.state.remote_lookup

    async def norms(self) -> norms.Norms:
        """The norms in force (kept until a change: server/norms_kept.py)."""
        return await norms_kept.in_force(self.request.app.state, self.session)

    async def rules(self) -> Rules:
        """The posting rules of the member the token speaks for (their arm of a norm
        experiment), or the community's for apps without a user."""
        found = await self.norms()
        if self.viewer_id is not None:
            found = found.for_member(self.viewer_id, self.now)
        return posting_rules.rules(
            found,
            self.settings.base_url,
            confirmed_only=bool(self.settings.smtp_host),
            arm=found.arm,
        )

    @property
    def now(self) -> datetime:
        return self.request.app.state.clock.now()

    @property
    def viewer_id(self) -> int | None:
        """The member's actor id, or None for apps without a user and for visitors."""
        return self.grant.actor_id if self.grant else None

    @property
    def actor(self) -> Actor:
        """The member the token speaks for; apps without a user get 422 as in Mastodon."""
        if self.grant is None or self.grant.actor_id is None:
            raise ApiError(422, "This method requires an authenticated user")
        actor = self.grant.actor
        assert actor is not None
        return actor

    @property
    def member(self) -> Member:
        self.actor  # noqa: B018 - the same refusal when there is no user
        assert self.grant is not None and self.grant.member is not None
        return self.grant.member

    def path_id(self, name: str = "id", *, most: int = MAX_SERIAL_ID) -> int:
        """An id from the path; one Porch could not have made is a record that does not
        exist. Accounts, media, lists and notifications have 32-bit ids."""
        found = parse_id(str(self.request.path_params[name]), most=most)
        if found is None:
            raise ApiError(404, "Record not found")
        return found

    def status_id(self) -> int:
        """A post's id from the path (posts have 64-bit, time-ordered ids)."""
        return self.path_id(most=MAX_ID)


Handler = Callable[[Call], Awaitable[Response]]


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # Some apps (and Mastodon.py for streaming) pass it as a parameter instead.
    return request.query_params.get("access_token") or None


def endpoint(scope: str | None = None, *, public: bool = False) -> Callable[[Handler], Any]:
    """Wrap a handler: authenticate, require `scope` ("read:statuses", or alternatives
    joined by "|"), and answer refusals in Mastodon's shape.

    `public` endpoints also serve callers without a token (public timelines, accounts).
    """

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def run(request: Request) -> Response:
            params: Params | None = None
            async with request.app.state.sessions() as session:
                try:
                    params = await Params.read(request)
                    grant = await _authenticate(request, session)
                    if grant is None and not public:
                        raise ApiError(401, "The access token is invalid")
                    if grant is not None and scope is not None and not grant.allows(scope):
                        raise ApiError(403, "This action is outside the authorized scopes")
                    return await handler(Call(request, session, params, grant))
                except ApiError as exc:
                    _log_refusal(request, exc.status, exc.message)
                    return error(exc.status, exc.message, **exc.headers)
                except RateLimited as exc:
                    _log_refusal(request, exc.status, exc.message)
                    return error(429, exc.message, **{"Retry-After": str(exc.retry_after)})
                except ServiceError as exc:
                    _log_refusal(request, exc.status, exc.message)
                    return error(exc.status, exc.message)
                except HTTPException as exc:
                    _log_refusal(request, exc.status_code, str(exc.detail))
                    return error(exc.status_code, str(exc.detail))
                finally:
                    if params is not None:
                        await params.close()

        return run

    return wrap


async def _authenticate(request: Request, session: AsyncSession) -> Grant | None:
    token = bearer_token(request)
    if token is None:
        return None
    state = request.app.state
    grant = await oauth_tokens.authenticate(session, token, state.clock.now(), state.grants)
    if grant is None:
        raise ApiError(401, "The access token is invalid")
    return grant


def _log_refusal(request: Request, status: int, message: str) -> None:
    if status != 404:
        log.info("API %s %s -> %s: %s", request.method, request.url.path, status, message)
