"""The one outbound HTTP client for federation: guarded, size-capped, redirect-limited."""

from __future__ import annotations

import contextlib
import ssl
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx

from federation import bodies, incoming
from federation.ssrf import AddressRefused, GuardedTransport, check_url

AS2_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AS2_CONTENT_TYPE = "application/activity+json"
AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
JRD_ACCEPT = "application/jrd+json, application/json"


class FetchError(Exception):
    """A remote fetch or delivery failed.

    `status` is the HTTP status if one came back; `temporary` says whether retrying
    later may help (timeouts, connection errors, 5xx, 429 → True; other 4xx, refused
    addresses, bad content → False); `retry_after` is in seconds if the server sent
    Retry-After; `url` is the URL that gave the status (after redirects).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        temporary: bool = False,
        retry_after: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.temporary = temporary
        self.retry_after = retry_after
        self.url = url


class BlockedAddress(FetchError):
    """The host resolves to an address Porch refuses to reach (SSRF guard)."""


@dataclass(frozen=True)
class FetchPolicy:
    """How the federation client behaves; the defaults are Mastodon's (app/lib/request.rb)."""

    user_agent: str
    allow_private_hosts: frozenset[str] = frozenset()
    max_bytes: int = 1_048_576
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_redirects: int = 3
    verify: ssl.SSLContext | bool = True
    # Mastodon's read_deadline: a server trickling a byte per 9 s never trips read_timeout.
    deadline: float = 30.0


class _FederationClient(httpx.AsyncClient):
    def __init__(self, policy: FetchPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return await super().send(request, **kwargs)
        except AddressRefused as exc:
            raise BlockedAddress(str(exc)) from exc


def make_client(
    policy: FetchPolicy, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The federation client; every request it sends, by any caller, passes the URL guard.

    With transport=None connections go through the guarded backend (Porch resolves DNS
    and connects only to vetted addresses). A given transport (tests route hosts to
    in-process apps) still gets the scheme, userinfo, name and literal-IP checks.
    """

    async def guard(request: httpx.Request) -> None:
        check_url(request.url, policy.allow_private_hosts)

    return _FederationClient(
        policy,
        transport=transport or GuardedTransport(policy.verify, policy.allow_private_hosts),
        # Env proxies and .netrc would bypass the guard or leak credentials.
        trust_env=False,
        timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        event_hooks={"request": [guard]},
    )


async def fetch_document(
    client: httpx.AsyncClient, url: str, auth: httpx.Auth | None = None
) -> tuple[str, dict[str, Any]]:
    """GET an ActivityStreams document, signing each hop with auth when given; returns
    the URL it was finally served from (after redirects) and the document.

    Follows at most policy.max_redirects redirects (each hop re-guarded), caps the body
    at policy.max_bytes, and requires an AS2 content type: Mastodon >= 4.2.5 discards
    anything else. Plain JSON (or ld+json without the profile) passes only if its
    @context names AS2, as some servers send it that way.
    """
    response, body = await _get(client, url, AS2_ACCEPT, auth)
    mime, params = _content_type(response)
    as2_type = mime == "application/activity+json" or (
        mime == "application/ld+json" and AS2_CONTEXT in params.get("profile", "").split()
    )
    if not as2_type and mime not in ("application/ld+json", "application/json"):
        raise FetchError(f"{response.url} sent {mime or 'no content type'}, not ActivityStreams")
    doc = _parse_object(body, response.url)
    context = doc.get("@context")
    if not as2_type and AS2_CONTEXT not in (context if isinstance(context, list) else [context]):
        raise FetchError(f"{response.url} sent {mime} without the ActivityStreams @context")
    return str(response.url), doc


async def fetch_jrd(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """GET a WebFinger JRD under the same guard, size and redirect rules.

    The content type isn't checked: many servers answer WebFinger as application/json.
    """
    response, body = await _get(client, url, JRD_ACCEPT, None)
    return _parse_object(body, response.url)


async def post_activity(
    client: httpx.AsyncClient, inbox_url: str, body: bytes, auth: httpx.Auth | None
) -> int:
    """POST one activity; return the 2xx status or raise FetchError.

    Never follows redirects: inbox POSTs must not be redirected.
    """
    policy = _policy(client)
    headers = {"Content-Type": AS2_CONTENT_TYPE, "Accept": AS2_ACCEPT}
    with _errors_mapped(inbox_url, policy.deadline):
        request = client.build_request("POST", inbox_url, content=body, headers=headers)
        response = await client.send(request, auth=auth, follow_redirects=False, stream=True)
        # The body is unused; closing unread drops the connection rather than read a flood.
        await response.aclose()
    if not response.is_success:
        raise _status_error(response)
    return response.status_code


async def _get(
    client: httpx.AsyncClient, url: str, accept: str, auth: httpx.Auth | None
) -> tuple[httpx.Response, bytes]:
    policy = _policy(client)
    with _errors_mapped(url, policy.deadline):
        next_url = httpx.URL(url)
        for _hop in range(policy.max_redirects + 1):
            # A fresh request per hop: no earlier hop's Signature travels on, and auth
            # signs the new target.
            request = client.build_request("GET", next_url, headers={"Accept": accept})
            response = await client.send(request, auth=auth, follow_redirects=False, stream=True)
            try:
                if response.next_request is not None:
                    next_url = response.next_request.url
                    continue
                if response.status_code != 200:
                    raise _status_error(response)
                return response, await _read_capped(response, policy.max_bytes)
            finally:
                await response.aclose()
        raise FetchError(f"{url} redirected more than {policy.max_redirects} times")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decompressed here so the cap counts inflated bytes (no gzip bombs)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{response.url} is {declared} bytes, over {max_bytes}")
    if response.is_stream_consumed:
        # A fake built as httpx.Response(content=...) arrives already read and decoded.
        if len(response.content) > max_bytes:
            raise FetchError(f"{response.url} sent more than {max_bytes} bytes")
        return response.content
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise FetchError(f"{response.url} used Content-Encoding {encoding}")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding != "identity" else None
    body, raw = bytearray(), 0
    try:
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            body += inflater.decompress(chunk, max_bytes + 1 - len(body)) if inflater else chunk
            if len(body) > max_bytes or raw > max_bytes:
                raise FetchError(f"{response.url} sent more than {max_bytes} bytes")
    except zlib.error as exc:
        raise FetchError(f"{response.url} sent a corrupt {encoding} body") from exc
    return bytes(body)


def _content_type(response: httpx.Response) -> tuple[str, dict[str, str]]:
    mime, *rest = response.headers.get("Content-Type", "").split(";")
    params = {}
    for part in rest:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return mime.strip().lower(), params


def _parse_object(body: bytes, url: httpx.URL) -> dict[str, Any]:
    # The one reading of remote JSON (the inbox's too): text no database keeps is
    # cleaned there.
    try:
        return bodies.loads(body)
    except incoming.Malformed as exc:
        raise FetchError(f"{url} sent unusable JSON: {exc}") from exc


def _status_error(response: httpx.Response) -> FetchError:
    status = response.status_code
    temporary = status >= 500 or status in (408, 429)
    return FetchError(
        f"{response.request.method} {response.url} answered {status}",
        status=status,
        temporary=temporary,
        retry_after=_retry_after(response.headers.get("Retry-After")),
        url=str(response.url),
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: either delay-seconds or an HTTP date."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _policy(client: httpx.AsyncClient) -> FetchPolicy:
    if not isinstance(client, _FederationClient):
        raise TypeError("federation requests need a client from federation.fetch.make_client")
    return client.policy


@contextlib.contextmanager
def _errors_mapped(url: str, deadline: float) -> Iterator[None]:
    """Turn httpx's exceptions and the overall deadline into FetchError."""
    try:
        with anyio.fail_after(deadline):
            yield
    except TimeoutError as exc:
        raise FetchError(f"{url} took over {deadline} s", temporary=True) from exc
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise FetchError(f"{url}: {exc!r}", temporary=True) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"{url}: {exc!r}") from exc
