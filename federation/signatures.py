"""HTTP Signatures (draft-cavage, as Mastodon speaks it): sign outgoing requests, check incoming."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from types import MappingProxyType

import httpx
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: How far apart two servers' clocks may be (Mastodon's CLOCK_SKEW_MARGIN).
CLOCK_SKEW = timedelta(hours=1)
#: How long a signature lives without a signed (expires): Mastodon's default.
DEFAULT_LIFETIME = timedelta(minutes=5)
#: A signed (expires) cannot stretch the lifetime further (Mastodon's EXPIRATION_WINDOW_LIMIT).
LONGEST_LIFETIME = timedelta(hours=12)
#: Longer signature headers are refused unparsed; real ones stay under 1 KiB.
MAX_SIGNATURE_HEADER = 8192
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_TOKEN = r"[0-9A-Za-z!#$%&'*+.^_`|~-]+"
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:({_TOKEN})|"((?:[^"\\]|\\.)*)")\s*(,|\Z)', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_TIMESTAMP = re.compile(r"\d{1,12}(\.\d{1,9})?")
_IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


class SignatureError(Exception):
    """Why a request's signature was refused; str(exc) is safe to show the sender."""


@dataclass(frozen=True)
class KeyPair:
    """An actor's RSA key pair as PEM text, ready to store and to publish."""

    private_pem: str  # PKCS8 PEM
    public_pem: str  # SPKI PEM "-----BEGIN PUBLIC KEY-----"

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh RSA-2048 key pair (e=65537), the kind every fediverse server accepts."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private_pem.decode("ascii"), public_pem.decode("ascii"))


@dataclass(frozen=True)
class IncomingRequest:
    """A received request as the signature checks need it; header names are lowercased."""

    method: str  # "POST"
    path: str  # raw path as received, e.g. "/inbox"
    query: str  # raw query string without "?", "" if none
    headers: Mapping[str, str]
    body: bytes

    def __post_init__(self) -> None:
        # Starlette's items() repeats a name per field line, httpx's multi_items() likewise;
        # the signing string wants them joined with ", " (draft-cavage-12 section 2.3).
        source = self.headers
        pairs = source.multi_items() if hasattr(source, "multi_items") else source.items()
        joined: dict[str, list[str]] = {}
        for name, value in pairs:
            joined.setdefault(name.lower(), []).append(value.strip())
        merged = {name: ", ".join(values) for name, values in joined.items()}
        object.__setattr__(self, "headers", MappingProxyType(merged))


@dataclass(frozen=True)
class ParsedSignature:
    """What a request's signature headers claim, before anything is checked."""

    key_id: str
    scheme: str  # "cavage" or "rfc9421"
    algorithm: str  # as sent; hs2019 when draft-cavage omits it, "" when RFC 9421 does
    covered: tuple[str, ...]  # signed header names (cavage) or component ids (RFC 9421)
    signature: bytes
    created: int | None = None
    expires: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)  # draft-cavage parameters as sent
    label: str = ""  # the RFC 9421 signature label


def http_date(moment: datetime) -> str:
    """IMF-fixdate, as in "Thu, 01 Nov 2018 09:02:46 GMT"; a naive moment is taken as UTC."""
    return formatdate(_aware(moment).timestamp(), usegmt=True)


def parse_signature(request: IncomingRequest) -> ParsedSignature:
    """Read the Signature (draft-cavage) or Signature-Input+Signature (RFC 9421) header
    without verifying; raises SignatureError when absent or malformed."""
    if "signature-input" in request.headers:
        # Imported here because signatures_rfc9421 builds on this module's types.
        from federation.signatures_rfc9421 import parse_rfc9421

        return parse_rfc9421(request)
    value = request.headers.get("signature")
    if value is None:
        raise SignatureError("Request is not signed: no Signature header")
    params = _cavage_params(value)
    missing = [name for name in ("keyId", "signature") if not params.get(name)]
    if missing:
        raise SignatureError(f"Signature header lacks {' and '.join(missing)}")
    # draft-cavage-12 made hs2019 the default algorithm, and (created) its default header.
    algorithm = params.get("algorithm", "hs2019")
    covered = params.get("headers", "(created)" if algorithm == "hs2019" else "date")
    return ParsedSignature(
        key_id=params["keyId"],
        scheme="cavage",
        algorithm=algorithm,
        covered=tuple(covered.lower().split()),
        signature=_b64decode(params["signature"]),
        created=_timestamp(params.get("created")),
        expires=_timestamp(params.get("expires")),
        params=MappingProxyType(params),
    )


def verify_signature(
    request: IncomingRequest, parsed: ParsedSignature, public_pem: str, now: datetime
) -> None:
    """Raise SignatureError unless the signature is valid for public_pem and the request
    meets Mastodon's rules: signed date in the window, enough covered, body digest matching."""
    check_request(request, parsed, now)
    key = _load_public_key(public_pem)
    if parsed.scheme == "rfc9421":
        from federation.signatures_rfc9421 import verify_rfc9421_signature

        return verify_rfc9421_signature(request, key)
    texts = [signing_string(request, parsed.covered, params=parsed.params)]
    if request.query and "(request-target)" in parsed.covered:
        # Older Mastodon left the query out of (request-target); GoToSocial tries both forms.
        texts.append(
            signing_string(request, parsed.covered, params=parsed.params, include_query=False)
        )
    if not any(_rsa_verifies(key, text, parsed.signature) for text in texts):
        raise SignatureError("Signature does not match the request and key")


def check_request(request: IncomingRequest, parsed: ParsedSignature, now: datetime) -> None:
    """verify_signature's checks short of the cryptography: algorithm, coverage, time window
    and body digest. They need no key, so a doomed request need not cost a key fetch."""
    if parsed.scheme == "rfc9421":
        from federation.signatures_rfc9421 import check_rfc9421_request

        return check_rfc9421_request(request, parsed, now)
    # GoToSocial sends hs2019, which for an RSA key means RSASSA-PKCS1-v1_5 with SHA-256.
    if parsed.scheme != "cavage" or parsed.algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureError("Unsupported signature algorithm (only rsa-sha256 and hs2019)")
    covered = parsed.covered
    if parsed.algorithm != "hs2019" and {"(created)", "(expires)"} & set(covered):
        raise SignatureError("(created) and (expires) are only valid with hs2019")
    _check_cavage_coverage(request, covered)
    created = _from_timestamp(parsed.created) if "(created)" in covered else _date_header(request)
    expires = _from_timestamp(parsed.expires) if "(expires)" in covered else None
    check_time_window(created, expires, now)
    if request.body or "digest" in covered:
        _check_digest(request)


def signing_string(
    request: IncomingRequest,
    covered: Sequence[str],
    *,
    params: Mapping[str, str] | None = None,
    include_query: bool = True,
) -> str:
    """The draft-cavage string to sign: a "name: value" line per covered header, in order."""
    lines = []
    for name in (name.lower() for name in covered):
        if name == "(request-target)":
            query = f"?{request.query}" if request.query and include_query else ""
            lines.append(f"{name}: {request.method.lower()} {request.path}{query}")
        elif name in ("(created)", "(expires)"):
            value = (params or {}).get(name[1:-1])
            if not value:
                raise SignatureError(f"{name} is signed but its parameter is missing")
            lines.append(f"{name}: {value}")
        elif (value := request.headers.get(name)) is not None:
            lines.append(f"{name}: {value}")
        else:
            raise SignatureError(f"Signed header {name!r} is missing from the request")
    return "\n".join(lines)


def sign_string(private_pem: str, text: str) -> str:
    """Sign a signing string with RSASSA-PKCS1-v1_5 SHA-256; returns it base64-encoded."""
    return _rsa_sign(_load_private_key(private_pem), text)


def signature_header(
    key_id: str, covered: Sequence[str], signature: str, algorithm: str = "rsa-sha256"
) -> str:
    """The Signature header value, parameters in the order Mastodon writes them."""
    headers = " ".join(covered)
    return f'keyId="{key_id}",algorithm="{algorithm}",headers="{headers}",signature="{signature}"'


def check_time_window(created: datetime, expires: datetime | None, now: datetime) -> None:
    """Refuse a signature made too far in the future or expired, as Mastodon reckons it."""
    created, now = _aware(created), _aware(now)
    if created > now + CLOCK_SKEW:
        raise SignatureError("Signed request date is too far in the future")
    expires = min(_aware(expires or created + DEFAULT_LIFETIME), created + LONGEST_LIFETIME)
    if now > expires + CLOCK_SKEW:
        raise SignatureError("Signed request date is outside the acceptable time window")


class HttpSignatureAuth(httpx.Auth):
    """Signs an outgoing httpx request as Mastodon does (draft-cavage, rsa-sha256)."""

    requires_request_body = True

    def __init__(self, key_id: str, private_pem: str, now: Callable[[], datetime]) -> None:
        self._key_id = key_id
        self._key = _load_private_key(private_pem)
        self._now = now

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set Host, Date and Digest afresh on each call, then sign them."""
        # httpx sends url.netloc as Host (default port dropped), so that is what gets signed.
        request.headers["Host"] = request.url.netloc.decode("ascii")
        request.headers["Date"] = http_date(self._now())
        covered = ["(request-target)", "host", "date"]
        # Mastodon requires a signed Digest on every POST, even an empty one.
        if request.content or request.method in BODY_METHODS:
            request.headers["Digest"] = f"SHA-256={_sha256_b64(request.content)}"
            covered.append("digest")
            if "content-type" in request.headers:
                covered.append("content-type")
        elif request.method == "GET" and "accept" in request.headers:
            covered.append("accept")
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        text = signing_string(
            IncomingRequest(request.method, path, query, request.headers, b""), covered
        )
        request.headers["Signature"] = signature_header(
            self._key_id, covered, _rsa_sign(self._key, text)
        )
        yield request


def _cavage_params(value: str) -> dict[str, str]:
    if len(value) > MAX_SIGNATURE_HEADER:
        raise SignatureError("Signature header is too long")
    # Old node-http-signature put the auth scheme in the header too; Mastodon skips it.
    value = value.removeprefix("Signature ")
    params: dict[str, str] = {}
    position = 0
    while True:
        match = _PARAM.match(value, position)
        if match is None:
            raise SignatureError("Signature header is malformed")
        name, token, quoted, separator = match.groups()
        if name in params:
            raise SignatureError(f"Signature header repeats {name}")
        params[name] = token if token is not None else _QUOTED_PAIR.sub(r"\1", quoted)
        position = match.end()
        if not separator:
            return params


def _check_cavage_coverage(request: IncomingRequest, covered: Sequence[str]) -> None:
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("The Date header or (created) must be signed")
    if "(request-target)" not in covered and "digest" not in covered:
        raise SignatureError("The Digest header or (request-target) must be signed")
    method = request.method.upper()
    if method in ("GET", "HEAD") and "host" not in covered:
        raise SignatureError("The Host header must be signed on GET requests")
    if (method == "POST" or request.body) and "digest" not in covered:
        raise SignatureError("The Digest header must be signed on requests with a body")


def _check_digest(request: IncomingRequest) -> None:
    value = request.headers.get("digest")
    if value is None:
        raise SignatureError("Digest header is missing")
    # "SHA-256=<b64>, SHA-512=<b64>": Mastodon matches algorithm names case-insensitively.
    offered = {}
    for part in value.split(","):
        name, _, digest = part.strip().partition("=")
        offered[name.lower()] = digest.strip()
    computed = _sha256_b64(request.body)
    if "sha-256" not in offered:
        raise SignatureError(f"Digest must include SHA-256; offered: {', '.join(offered)[:200]}")
    if offered["sha-256"] != computed:
        raise SignatureError(f"Digest does not match the body; computed SHA-256={computed}")


def _date_header(request: IncomingRequest) -> datetime:
    value = request.headers.get("date")
    if value is None:
        raise SignatureError("Date header is missing")
    # Only IMF-fixdate, the form every fediverse server sends; email.utils alone would also
    # read "<date>, <date>", two Date headers joined.
    if not _IMF_FIXDATE.fullmatch(value):
        raise SignatureError("Date header is not an HTTP date")
    try:
        return _aware(parsedate_to_datetime(value))
    except (ValueError, TypeError, OverflowError, IndexError):
        raise SignatureError("Date header is not an HTTP date") from None


def _timestamp(value: str | None) -> int | None:
    if value is None:
        return None
    if not _TIMESTAMP.fullmatch(value):
        raise SignatureError("created and expires must be Unix timestamps")
    return int(value.partition(".")[0])


def _from_timestamp(value: int | None) -> datetime:
    if value is None:
        raise SignatureError("Signature lacks the created or expires it signs")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError("created or expires is out of range") from None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("Signature is not valid base64") from None


def _sha256_b64(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _wire(text: str) -> bytes:
    # Starlette decodes header bytes as latin-1, so encoding back recovers what was sent.
    return text.encode("latin-1", "replace")


def _load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("HTTP signatures need an RSA private key")
    return key


# Keyed by the PEM itself: a rotated key is new text, so nothing is ever stale. Parsing
# is cheap (microseconds), but every inbox POST verifies with one of a few hundred keys.
@lru_cache(maxsize=1024)
def _load_public_key(public_pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("The signer's public key is not a usable PEM key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("The signer's public key is not an RSA key")
    return key


def _rsa_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    signature = key.sign(_wire(text), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def _rsa_verifies(key: rsa.RSAPublicKey, text: str, signature: bytes) -> bool:
    try:
        key.verify(signature, _wire(text), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
