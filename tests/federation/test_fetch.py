"""The federation HTTP client: the address guard, against real sockets and routed fakes."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import trustme

from federation.fetch import (
    AS2_ACCEPT,
    AS2_CONTENT_TYPE,
    BlockedAddress,
    FetchError,
    FetchPolicy,
    fetch_document,
    fetch_jrd,
    make_client,
    post_activity,
)
from federation.ssrf import check_address

AS2 = "https://www.w3.org/ns/activitystreams"
NOTE = {"@context": AS2, "id": "https://remote.example/notes/1", "type": "Note"}
POLICY = FetchPolicy(user_agent="Porch/0.1.0 (+https://porch.example/)")
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


async def fetch_json(
    client: httpx.AsyncClient, url: str, auth: httpx.Auth | None = None
) -> dict[str, Any]:
    """The document alone: what these tests check of `fetch_document`."""
    return (await fetch_document(client, url, auth))[1]


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.0.8",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "not an address",
    ],
)
def test_refused_addresses(ip: str) -> None:
    assert check_address(ip) is False


@pytest.mark.parametrize(
    "ip",
    ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101"],
)
def test_public_addresses(ip: str) -> None:
    assert check_address(ip) is True


# --- a real server on 127.0.0.1, reached through the guarded network backend -------------


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    body = json.dumps(NOTE).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {AS2_CONTENT_TYPE}\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def _serve(ssl_context: ssl.SSLContext | None = None) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=ssl_context)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def local_port() -> AsyncIterator[int]:
    server, port = await _serve()
    async with server:
        yield port


async def test_localhost_is_refused_by_default(local_port: int) -> None:
    async with make_client(POLICY) as client:
        with pytest.raises(BlockedAddress) as caught:
            await fetch_json(client, f"http://localhost:{local_port}/x")
    assert caught.value.temporary is False


async def test_a_name_resolving_to_loopback_is_refused_after_dns(local_port: int) -> None:
    # The machine's own name passes the name rules, so only the resolved address stops it.
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, local_port, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"{name} doesn't resolve here")
    if any(check_address(str(info[4][0])) for info in infos):
        pytest.skip(f"{name} resolves to a public address here")
    async with make_client(POLICY) as client:
        with pytest.raises(BlockedAddress, match="resolves only to refused addresses"):
            await fetch_json(client, f"http://{name}:{local_port}/x")


async def test_allowed_localhost_is_fetched_through_the_guarded_backend(local_port: int) -> None:
    policy = FetchPolicy(user_agent="Porch/test", allow_private_hosts=frozenset({"localhost"}))
    async with make_client(policy) as client:
        assert await fetch_json(client, f"http://localhost:{local_port}/x") == NOTE


async def test_tls_verifies_the_host_name_while_connecting_to_the_address() -> None:
    # The certificate names only "localhost": connecting by the vetted IP must still
    # send SNI and check the certificate against the host name.
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    policy = FetchPolicy(
        user_agent="Porch/test",
        allow_private_hosts=frozenset({"localhost"}),
        verify=client_context,
    )
    server, port = await _serve(server_context)
    async with server, make_client(policy) as client:
        assert await fetch_json(client, f"https://localhost:{port}/x") == NOTE
    assert seen_sni == ["localhost"]


async def test_connection_refused_is_temporary() -> None:
    server, port = await _serve()
    server.close()
    await server.wait_closed()
    policy = FetchPolicy(user_agent="Porch/test", allow_private_hosts=frozenset({"localhost"}))
    async with make_client(policy) as client:
        with pytest.raises(FetchError) as caught:
            await fetch_json(client, f"http://localhost:{port}/x")
    assert caught.value.temporary is True
    assert not isinstance(caught.value, BlockedAddress)


async def test_a_silent_server_times_out_as_temporary() -> None:
    hung_up = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read()  # say nothing until the client gives up and hangs up
        writer.close()
        await writer.wait_closed()
        hung_up.set()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    policy = FetchPolicy(
        user_agent="Porch/test", allow_private_hosts=frozenset({"localhost"}), read_timeout=0.2
    )
    async with server, make_client(policy) as client:
        with pytest.raises(FetchError) as caught:
            await fetch_json(client, f"http://localhost:{port}/x")
        await hung_up.wait()
    assert caught.value.temporary is True


# --- routed fakes: content rules, limits, redirects, statuses ----------------------------


class Remote:
    """A fake remote server behind httpx.MockTransport that records what reached it."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.handler(request)


def remote(handler: Handler) -> tuple[Remote, httpx.AsyncClient]:
    fake = Remote(handler)
    return fake, make_client(POLICY, transport=httpx.MockTransport(fake))


def serving(
    body: object,
    content_type: str = AS2_CONTENT_TYPE,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Handler:
    """A handler answering like a network server: headers as given, body still streaming."""

    async def handler(request: httpx.Request) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": content_type, **(headers or {})}
        return httpx.Response(status, headers=all_headers, stream=httpx.ByteStream(content))

    return handler


PROFILED = f'application/ld+json; profile="{AS2}"'


@pytest.mark.parametrize(
    ("content_type", "doc"),
    [
        ("application/activity+json", NOTE),
        ("application/activity+json; charset=utf-8", NOTE),
        (PROFILED, NOTE),
        (f'application/ld+json;profile="https://example.org/x {AS2}"', NOTE),
        ("application/ld+json", NOTE),
        ("application/json", NOTE),
        ("application/json", {**NOTE, "@context": [AS2, {"toot": "http://joinmastodon.org/ns#"}]}),
    ],
)
async def test_accepted_content(content_type: str, doc: dict[str, object]) -> None:
    fake, client = remote(serving(doc, content_type))
    async with client:
        assert await fetch_json(client, "https://remote.example/notes/1") == doc
    assert fake.requests[0].headers["Accept"] == AS2_ACCEPT
    assert fake.requests[0].headers["User-Agent"] == POLICY.user_agent


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", NOTE),
        ("", NOTE),
        ("application/ld+json", {"id": "x", "type": "Note"}),  # no AS2 profile or @context
        ("application/json", {"@context": "https://schema.org", "type": "Note"}),
        ("application/activity+json", [NOTE]),
        ("application/activity+json", b"{not json"),
        (PROFILED, b'"a string"'),
    ],
)
async def test_refused_content(content_type: str, body: object) -> None:
    _fake, client = remote(serving(body, content_type))
    async with client:
        with pytest.raises(FetchError) as caught:
            await fetch_json(client, "https://remote.example/notes/1")
    assert caught.value.temporary is False


async def test_a_body_over_the_cap_is_refused_without_reading_it_all() -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(32):  # 2 MiB in all, without a Content-Length
            sent.append(1)
            yield b" " * 65536

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": AS2_CONTENT_TYPE}, content=chunks())

    _fake, client = remote(handler)
    async with client:
        with pytest.raises(FetchError, match="more than 1048576 bytes"):
            await fetch_json(client, "https://remote.example/big")
    assert len(sent) < 32


async def test_a_declared_length_over_the_cap_is_refused() -> None:
    _fake, client = remote(serving(b"{}", headers={"Content-Length": "2097152"}))
    async with client:
        with pytest.raises(FetchError, match="2097152 bytes"):
            await fetch_json(client, "https://remote.example/big")


async def test_gzip_is_capped_after_inflating() -> None:
    small = gzip.compress(json.dumps(NOTE).encode())
    bomb = gzip.compress(b"[" + b" " * 2_000_000 + b"]")  # about 2 KB on the wire
    _fake, client = remote(serving(small, headers={"Content-Encoding": "gzip"}))
    async with client:
        assert await fetch_json(client, "https://remote.example/small") == NOTE
    _fake, client = remote(serving(bomb, headers={"Content-Encoding": "gzip"}))
    async with client:
        with pytest.raises(FetchError, match="more than"):
            await fetch_json(client, "https://remote.example/bomb")


async def test_fakes_built_with_content_are_read_too() -> None:
    # httpx.Response(content=...) arrives already read and decoded; other tests build them.
    async def handler(request: httpx.Request) -> httpx.Response:
        doc = NOTE if request.url.path == "/small" else {"padding": "x" * 2_000_000}
        return httpx.Response(200, headers={"Content-Type": AS2_CONTENT_TYPE}, json=doc)

    _fake, client = remote(handler)
    async with client:
        assert await fetch_json(client, "https://remote.example/small") == NOTE
        with pytest.raises(FetchError, match="bytes"):
            await fetch_json(client, "https://remote.example/big")


def redirecting(final: Handler) -> Handler:
    """/hops/N redirects N more times (relative, then absolute), then serves `final`."""

    async def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if parts[1] == "hops" and int(parts[2]) > 0:
            left = int(parts[2]) - 1
            location = f"/hops/{left}" if left % 2 else f"https://other.example/hops/{left}"
            return httpx.Response(302, headers={"Location": location})
        return await final(request)

    return handler


async def test_three_redirects_are_followed_and_four_are_not() -> None:
    fake, client = remote(redirecting(serving(NOTE)))
    async with client:
        assert await fetch_json(client, "https://remote.example/hops/3") == NOTE
        assert len(fake.requests) == 4
        with pytest.raises(FetchError, match="redirected more than 3 times"):
            await fetch_json(client, "https://remote.example/hops/4")


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/actor",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/actor",
        "http://[::ffff:127.0.0.1]/actor",
        "http://127.1/actor",
        "http://2130706433/actor",
        "http://localhost/actor",
        "http://printer.local/actor",
        "http://metadata.google.internal/",
        "http://abcdef.onion/actor",
        "ftp://remote.example/actor",
        "http://user:secret@remote.example/actor",
    ],
)
async def test_refused_targets_never_leave_even_after_a_redirect(target: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": target})

    fake, client = remote(handler)
    async with client:
        with pytest.raises(BlockedAddress):
            await fetch_json(client, target)
        with pytest.raises(BlockedAddress):
            await fetch_json(client, "https://remote.example/moved")
    assert [str(r.url) for r in fake.requests] == ["https://remote.example/moved"]


class CountingAuth(httpx.Auth):
    """Stands in for HTTP signatures: stamps each request it signs with a fresh number."""

    def __init__(self) -> None:
        self.calls = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.calls += 1
        request.headers["Signature"] = f"{self.calls} {request.method} {request.url}"
        yield request


async def test_each_hop_is_signed_afresh() -> None:
    fake, client = remote(redirecting(serving(NOTE)))
    auth = CountingAuth()
    async with client:
        await fetch_json(client, "https://remote.example/hops/2", auth=auth)
    assert auth.calls == 3
    assert [r.headers["Signature"] for r in fake.requests] == [
        "1 GET https://remote.example/hops/2",
        "2 GET https://remote.example/hops/1",
        "3 GET https://other.example/hops/0",
    ]


@pytest.mark.parametrize(
    ("status", "temporary"), [(404, False), (410, False), (401, False), (408, True), (503, True)]
)
async def test_fetch_status_errors(status: int, temporary: bool) -> None:
    _fake, client = remote(serving({"error": "no"}, status=status))
    async with client:
        with pytest.raises(FetchError) as caught:
            await fetch_json(client, "https://remote.example/gone")
    assert (caught.value.status, caught.value.temporary) == (status, temporary)


async def test_429_carries_retry_after() -> None:
    _fake, client = remote(serving({}, status=429, headers={"Retry-After": "120"}))
    async with client:
        with pytest.raises(FetchError) as caught:
            await fetch_json(client, "https://remote.example/busy")
    assert caught.value.temporary is True
    assert caught.value.retry_after == 120


async def test_fetch_jrd() -> None:
    jrd = {"subject": "acct:ada@remote.example", "links": []}
    fake, client = remote(serving(jrd, "application/jrd+json"))
    async with client:
        url = "https://remote.example/.well-known/webfinger?resource=acct:ada@remote.example"
        assert await fetch_jrd(client, url) == jrd
    assert fake.requests[0].headers["Accept"] == "application/jrd+json, application/json"


async def test_post_activity() -> None:
    fake, client = remote(serving(b"", status=202))
    auth = CountingAuth()
    async with client:
        status = await post_activity(client, "https://remote.example/inbox", b'{"a": 1}', auth)
    assert status == 202
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.content == b'{"a": 1}'
    assert request.headers["Content-Type"] == AS2_CONTENT_TYPE
    assert request.headers["User-Agent"] == POLICY.user_agent
    assert request.headers["Signature"] == "1 POST https://remote.example/inbox"


async def test_post_activity_does_not_follow_redirects() -> None:
    fake, client = remote(redirecting(serving(b"", status=202)))
    async with client:
        with pytest.raises(FetchError) as caught:
            await post_activity(client, "https://remote.example/hops/1", b"{}", None)
    assert (caught.value.status, caught.value.temporary) == (302, False)
    assert len(fake.requests) == 1


async def test_post_activity_refuses_private_inboxes() -> None:
    fake, client = remote(serving(b"", status=202))
    async with client:
        with pytest.raises(BlockedAddress):
            await post_activity(client, "http://192.168.1.10/inbox", b"{}", None)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "temporary"), [(400, False), (401, False), (410, False), (429, True), (502, True)]
)
async def test_post_activity_status_errors(status: int, temporary: bool) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    _fake, client = remote(serving(b"", status=status, headers={"Retry-After": later}))
    async with client:
        with pytest.raises(FetchError) as caught:
            await post_activity(client, "https://remote.example/inbox", b"{}", None)
    assert (caught.value.status, caught.value.temporary) == (status, temporary)
    assert caught.value.retry_after is not None
    assert 590 < caught.value.retry_after <= 600
