"""An app's view of its member's email address while it waits for confirmation:
another confirmation link (to a corrected address if need be), and whether it is
confirmed yet."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from server.api.mastodon.context import ApiError, Call, endpoint
from server.services import mail_tokens
from server.services.accounts import Signed

AWAITING_ONLY = "This method is only available while the e-mail is awaiting confirmation"


@endpoint("write:accounts")
async def resend(call: Call) -> Response:
    """POST /api/v1/emails/confirmations: mail a fresh link; with `email`, to that address,
    which replaces a mistyped one."""
    found = Signed(call.member, call.actor)
    if found.member.email_confirmed_at is not None:
        raise ApiError(403, AWAITING_ONLY)
    corrected = call.params.text("email")
    if corrected:
        await mail_tokens.correct_unconfirmed(call.session, found, corrected, call.now)
    else:
        await mail_tokens.resend_confirmation(call.session, found, call.now)
    return JSONResponse({})


@endpoint("read:accounts")
async def check(call: Call) -> Response:
    """GET /api/v1/emails/check_confirmation: whether the member confirmed their address."""
    return JSONResponse(call.member.email_confirmed_at is not None)
