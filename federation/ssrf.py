"""The address guard for outbound federation requests, and the httpx transport it runs in."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's is_global/is_private miss or only learned in later 3.11/3.12 patch releases.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "::/96",  # IPv4-compatible IPv6, deprecated; some stacks still route ::127.0.0.1
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Mastodon refuses .onion/.i2p unless a hidden-service proxy is set; the rest never leave the LAN.
_REFUSED_SUFFIXES = (".onion", ".i2p", ".local", ".internal", ".localhost")


class AddressRefused(Exception):
    """The guard refused a URL or address; federation.fetch raises it as BlockedAddress."""


def check_address(ip: str | IPAddress) -> bool:
    """True if Porch may connect to this IP: a globally routable unicast address."""
    try:
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        # The embedded IPv4 address is what the packets finally reach.
        if addr.ipv4_mapped is not None:
            return check_address(addr.ipv4_mapped)
        if addr in _NAT64:
            return check_address(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
        if addr.sixtofour is not None:
            return check_address(addr.sixtofour)
        if addr.is_site_local:
            return False
    if any(addr in net for net in _EXTRA_BLOCKED):
        return False
    return addr.is_global and not (
        addr.is_multicast  # 224/4 counts as "global" to Python
        or addr.is_reserved
        or addr.is_unspecified
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_private
    )


def literal_address(host: str) -> IPAddress | None:
    """The IP a URL host names directly, or None for a DNS name.

    Also catches the shorthand IPv4 forms ("127.1", "2130706433", "0x7f.1") that
    getaddrinfo quietly turns into addresses.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_host(host: str, allowed: frozenset[str]) -> None:
    """Refuse local and hidden-service names and non-public IP literals, before any DNS."""
    name = host.lower().rstrip(".")
    if name in allowed:
        return
    if not name or name == "localhost" or name.endswith(_REFUSED_SUFFIXES):
        raise AddressRefused(f"{name!r} is a local or hidden-service name")
    literal = literal_address(name)
    if literal is not None and not check_address(literal):
        raise AddressRefused(f"{name} is not a public address")


def check_url(url: httpx.URL, allowed: frozenset[str]) -> None:
    """Refuse anything but http(s) URLs without userinfo whose host passes check_host."""
    if url.scheme not in ("http", "https"):
        raise AddressRefused(f"scheme {url.scheme!r} is not allowed")
    if url.userinfo:
        raise AddressRefused("URLs with user info are not allowed")
    check_host(url.host, allowed)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves names itself, vets every address and connects to a vetted one.

    Connecting to the checked IP (not re-resolving the name) is what stops DNS
    rebinding; httpcore still sends the host name as TLS SNI and in Host.
    """

    def __init__(self, allowed: frozenset[str]) -> None:
        self._allowed = allowed
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            # One budget for DNS and every attempt, as Mastodon's Request::Socket does.
            with anyio.fail_after(timeout):
                *others, last = await self._addresses(host, port)
                for ip in others:
                    with contextlib.suppress(httpcore.ConnectError):
                        return await self._inner.connect_tcp(
                            ip, port, None, local_address, socket_options
                        )
                return await self._inner.connect_tcp(
                    last, port, None, local_address, socket_options
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out") from exc

    async def _addresses(self, host: str, port: int) -> list[str]:
        check_host(host, self._allowed)
        if literal := literal_address(host):
            return [str(literal)]
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if host.lower().rstrip(".") in self._allowed:
            return ips
        # Like Mastodon, skip refused addresses and use a public one if the name has any.
        good = [ip for ip in ips if check_address(ip)]
        if not good:
            raise AddressRefused(f"{host} resolves only to refused addresses {ips}")
        return good

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("federation never uses Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool rebuilt on GuardedBackend.

    httpx 0.28 takes no network backend (encode/httpx#3749 is still open), so the pool
    it built is swapped for an equal one; httpx keeps its request and error mapping.
    """

    def __init__(self, verify: ssl.SSLContext | bool, allowed: frozenset[str]) -> None:
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allowed),
        )
