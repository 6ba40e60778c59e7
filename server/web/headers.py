"""Security headers on every response: what browsers may load, frame and send along.

Pages get a Content-Security-Policy that allows only Porch's own script and stylesheet
(the templates carry no inline script, event handler or style attribute) and no
framing; every response, JSON and media included, gets nosniff and a referrer policy;
cookies are Secure whenever the site is reached over https. server/web/front.py adds
them to every answer; a header a route set itself is kept.
"""

from __future__ import annotations

from collections.abc import Container

# Remote avatars and attachments are shown from their own servers (https); blob: is
# the composer's preview of images chosen on the member's own device, not yet sent.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: blob:{http}; media-src 'self' https:{http}; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Forms post only to Porch. Not on the OAuth consent page: Chromium applies form-action
# to the redirect after the form too, and that goes to the app's own redirect_uri (any
# https URL, or a scheme such as tusky://), which the token endpoint checks instead.
_FORMS = "; form-action 'self'"
_CONSENT_PATH = "/oauth/authorize"

RawHeaders = list[tuple[bytes, bytes]]

_EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))


def policy(path: str, *, https: bool) -> str:
    """The Content-Security-Policy for the page at `path`. Sites on plain http (a
    laptop, a lab) may also show images from other plain-http servers."""
    found = _POLICY.format(http="" if https else " http:")
    return found if path == _CONSENT_PATH else found + _FORMS


def add_security_headers(
    headers: RawHeaders, names: Container[bytes], path: str, *, https: bool
) -> None:
    """Add the headers above to an answer's raw `headers` (lower-case `names` it holds)."""
    for name, value in _EVERY_ANSWER:
        if name not in names:
            headers.append((name, value))
    if any(n == b"content-type" and v.startswith(b"text/html") for n, v in headers):
        if b"content-security-policy" not in names:
            headers.append((b"content-security-policy", policy(path, https=https).encode()))
        if b"x-frame-options" not in names:
            headers.append((b"x-frame-options", b"DENY"))
    if https and b"set-cookie" in names:
        headers[:] = [_secure_cookie(n, v) if n == b"set-cookie" else (n, v) for n, v in headers]


def _secure_cookie(name: bytes, cookie: bytes) -> tuple[bytes, bytes]:
    attributes = {part.strip().lower() for part in cookie.split(b";")[1:]}
    return name, cookie if b"secure" in attributes else cookie + b"; secure"
