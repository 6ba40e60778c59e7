"""Who is asking: HTTP signatures on incoming requests, checked against the signer's key."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from federation import incoming
from federation.actors import Unresolvable, key_for
from federation.runtime import Federation
from federation.signatures import (
    IncomingRequest,
    SignatureError,
    check_request,
    parse_signature,
    verify_signature,
)
from server.models import Actor

log = logging.getLogger(__name__)


class Refused(Exception):
    """A request Porch will not act on; `status` tells the sender whether to retry."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reader:
    """Who is reading a document: a verified remote actor, or nobody known."""

    actor: Actor | None


def federation(request: Request) -> Federation:
    return request.app.state.federation


def as_incoming(request: Request, body: bytes) -> IncomingRequest:
    return IncomingRequest(
        method=request.method,
        path=request.scope.get("raw_path", request.url.path.encode())
        .decode("latin-1")
        .split("?")[0],
        query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers,
        body=body,
    )


async def signer(fed: Federation, session: AsyncSession, signed: IncomingRequest) -> Actor:
    """The remote actor whose valid signature is on the request, or Refused.

    A failed check refetches the actor once, in case they rotated their key. Trouble
    reaching the signer's server answers 503 so the sender retries (a 401 would tell
    Mastodon never to send this again).
    """
    try:
        parsed = parse_signature(signed)
        # Every rule but the cryptography first: a stale or incomplete request is refused
        # without fetching anyone's key.
        check_request(signed, parsed, fed.clock.now())
    except SignatureError as exc:
        raise Refused(401, str(exc)) from exc
    if not incoming.host(parsed.key_id):
        raise Refused(401, "The signature's keyId is not a URL.")
    fed.signers.catch_up(fed.bus, fed.policies)
    if await fed.blocks(session, parsed.key_id):
        raise Refused(403, "This server does not accept requests from your domain.")
    now = fed.clock.now()
    for refresh in (False, True):
        generation = fed.signers.generation
        kept = None if refresh else await fed.signers.found(session, parsed.key_id)
        try:
            actor, pem = kept or await key_for(fed, session, parsed.key_id, refresh=refresh)
        except Unresolvable as exc:
            if exc.temporary:
                raise Refused(503, f"Could not fetch the signing key now: {exc}") from exc
            raise Refused(401, f"Could not find the signing key: {exc}") from exc
        try:
            verify_signature(signed, parsed, pem, now)
        except SignatureError as exc:
            fed.signers.drop(parsed.key_id)
            if refresh:
                raise Refused(401, str(exc)) from exc
            continue
        if actor.suspended_at is not None:
            # Suspended by moderators here (or gone): nothing more from them is taken.
            raise Refused(403, "This account is suspended on this server.")
        if kept is None:
            fed.signers.keep(parsed.key_id, fed.bus, fed.policies, (actor, pem), generation)
        return actor
    raise Refused(401, "The signature does not verify.")  # pragma: no cover (loop returns)


async def reader(request: Request, session: AsyncSession, *, required: bool) -> Reader:
    """The verified reader of an ActivityPub GET.

    Under authorized fetch (`required` documents only) an unsigned or badly signed read
    is refused with 401, and a blocked domain's with 403. Otherwise a signature is used
    when it verifies (a follower may read followers-only posts) and ignored when not.
    """
    enforced = required and request.app.state.settings.authorized_fetch
    if "signature" not in request.headers and "signature-input" not in request.headers:
        if enforced:
            raise HTTPException(401, "Request not signed: this server requires signed fetches.")
        return Reader(None)
    try:
        actor = await signer(federation(request), session, as_incoming(request, b""))
    except Refused as exc:
        if enforced or exc.status == 403:
            raise HTTPException(exc.status, str(exc)) from exc
        log.info("ignoring a bad signature on GET %s: %s", request.url.path, exc)
        return Reader(None)
    return Reader(actor)
