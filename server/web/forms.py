"""Form reading with CSRF protection and clean text: every web form comes through read_form."""

from __future__ import annotations

import hmac
import logging
import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from server.text import clean

log = logging.getLogger(__name__)

FIELD = "csrf_token"
_SESSION_KEY = "csrf"


def csrf_token(request: Request) -> str:
    """This browser session's CSRF token, created on first use."""
    token = request.session.get(_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = token
    return str(token)


async def read_form(request: Request) -> FormData:
    """Parse the posted form and refuse it (403) unless it carries this session's token.

    The token lives in the signed session cookie, so a page on another site can neither
    read it nor forge a form that carries it. Text comes back cleaned as the client API
    cleans it (server.text.clean: no NUL or other control characters), so nothing typed
    into a page can break a query or travel on to other servers.
    """
    parsed = await request.form(max_part_size=request.app.state.settings.max_upload_bytes)
    form = FormData(
        [(clean(k), clean(v) if isinstance(v, str) else v) for k, v in parsed.multi_items()]
    )
    sent = form.get(FIELD)
    expected = request.session.get(_SESSION_KEY)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        log.warning("CSRF check failed for %s %s", request.method, request.url.path)
        await parsed.close()  # uploads in a refused form are dropped unread
        raise HTTPException(
            403,
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )
    return form


def text(form: FormData, name: str, default: str = "") -> str:
    """A text field's value; an upload in a text field counts as empty."""
    value = form.get(name, default)
    return value if isinstance(value, str) else default
