"""Security headers on every response: what browsers may load, frame and send along.

Pages get a Content-Security-Policy that allows only Porch's own script and stylesheet
(the templates carry no inline script, event handler or style attribute) and no
framing; every response, JSON and media included, gets nosniff and a referrer policy;
cookies are Secure whenever the site is reached over https.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Remote avatars and attachments are shown from their own servers (https).
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https:{http}; media-src 'self' https:{http}; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Forms post only to Porch. Not on the OAuth consent page: Chromium applies form-action
# to the redirect after the form too, and that goes to the app's own redirect_uri (any
# https URL, or a scheme such as tusky://), which the token endpoint checks instead.
_FORMS = "; form-action 'self'"
_CONSENT_PATH = "/oauth/authorize"


def policy(path: str, *, https: bool) -> str:
    """The Content-Security-Policy for the page at `path`. Sites on plain http (a
    laptop, a lab) may also show images from other plain-http servers."""
    found = _POLICY.format(http="" if https else " http:")
    return found if path == _CONSENT_PATH else found + _FORMS


class SecurityHeaders:
    """ASGI middleware adding the headers above; a header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.https or scope.get("scheme") == "https"
        path = str(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", policy(path, https=https))
                    headers.setdefault("X-Frame-Options", "DENY")
                if https:
                    _secure_cookies(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookies(headers: MutableHeaders) -> None:
    cookies = headers.getlist("set-cookie")
    if not cookies:
        return
    del headers["set-cookie"]
    for cookie in cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        headers.append("set-cookie", cookie if "secure" in attributes else cookie + "; secure")
