"""What a member is told when another server cannot be reached or answers badly.

The detail (the exception, the URL, the status) goes to the log; the member gets a
sentence about the server, never exception text (`ConnectError(...)` helps nobody).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from federation.fetch import FetchError

log = logging.getLogger(__name__)


def host_of(url: str) -> str:
    """The host part of `url`, or `url` itself when it has none."""
    return urlsplit(url).hostname or url


def unreachable(host: str, exc: Exception, *, what: str = "") -> str:
    """A sentence for a member about `host` failing with `exc`; `exc` itself is logged."""
    log.info("could not reach %s%s: %r", host, f" for {what}" if what else "", exc)
    status = exc.status if isinstance(exc, FetchError) else None
    if status in (404, 410):
        return f"{host} does not know {what or 'that address'}."
    if status is not None and status < 500 and status not in (408, 429):
        return f"{host} refused to answer (HTTP {status})."
    if status is not None:
        return f"{host} is having trouble right now. Try again later."
    return f"We couldn't reach {host}. Check the address, or try again later."


def unusable(host: str, exc: Exception, *, what: str) -> str:
    """A sentence for a member when `host` answered with something Porch cannot use."""
    log.info("unusable answer from %s for %s: %r", host, what, exc)
    return f"{host} answered, but not with {what} Porch can show."


def explain(host: str, exc: Exception, *, what: str) -> str:
    """`unreachable` when `exc` came from a failed fetch, else `unusable`."""
    cause = exc if isinstance(exc, FetchError) else exc.__cause__
    if isinstance(cause, FetchError):
        return unreachable(host, cause)
    return unusable(host, exc, what=what)
