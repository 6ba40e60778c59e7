"""RFC 9421 HTTP Message Signatures, which Mastodon's SignedRequest accepts beside draft-cavage."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import http_sf
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

from federation.signatures import (
    MAX_SIGNATURE_HEADER,
    IncomingRequest,
    ParsedSignature,
    SignatureError,
    _from_timestamp,
    check_time_window,
)

#: The only algorithm Mastodon signs and accepts; an absent alg means it too, for RSA keys.
ALGORITHM = algorithms.RSA_V1_5_SHA256


def parse_rfc9421(request: IncomingRequest) -> ParsedSignature:
    """Read Signature-Input and Signature without verifying; SignatureError if malformed."""
    inputs = _dictionary(request, "signature-input")
    signatures = _dictionary(request, "signature")
    # Like Mastodon (via Linzer), take exactly one signature rather than choose among several.
    if len(inputs) != 1 or inputs.keys() != signatures.keys():
        raise SignatureError(
            "Expected exactly one signature label in Signature-Input and Signature"
        )
    [(label, (components, params))] = inputs.items()
    signature = signatures[label][0]
    if not isinstance(components, list) or not isinstance(signature, bytes):
        raise SignatureError("Signature-Input must be an inner list and Signature a byte sequence")
    covered = tuple(_component(name, component) for name, component in components)
    key_id, created = params.get("keyid"), params.get("created")
    expires, alg = params.get("expires"), params.get("alg", "")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("Signature-Input lacks keyid")
    if type(created) is not int:
        raise SignatureError("Signature-Input lacks created, which Mastodon requires")
    if (expires is not None and type(expires) is not int) or not isinstance(alg, str):
        raise SignatureError("Signature-Input has a malformed expires or alg")
    return ParsedSignature(
        key_id, "rfc9421", alg, covered, signature, created, expires, label=label
    )


def check_rfc9421_request(request: IncomingRequest, parsed: ParsedSignature, now: datetime) -> None:
    """Mastodon's rules short of the cryptography: algorithm, coverage, window, digest."""
    if parsed.algorithm not in ("", ALGORITHM.algorithm_id):
        raise SignatureError("Unsupported signature algorithm (only rsa-v1_5-sha256)")
    _check_coverage(request, set(parsed.covered))
    expires = None if parsed.expires is None else _from_timestamp(parsed.expires)
    check_time_window(_from_timestamp(parsed.created), expires, now)
    if request.body or "content-digest" in parsed.covered:
        _check_content_digest(request)


def verify_rfc9421_signature(request: IncomingRequest, key: rsa.RSAPublicKey) -> None:
    """Raise SignatureError unless the request's one RFC 9421 signature verifies under key."""
    host = request.headers.get("host")
    if not host:
        raise SignatureError("Host header is missing")
    target = request.path + (f"?{request.query}" if request.query else "")
    verifier = _Verifier(signature_algorithm=ALGORITHM, key_resolver=_OneKey(key))
    # Porch sits behind a TLS-terminating proxy, so the scheme never reaches it: rebuild the
    # https:// URI senders mean, then http:// for ones that signed a plain-HTTP URL.
    for scheme in ("https", "http"):
        message = _Message(request.method.upper(), f"{scheme}://{host}{target}", request.headers)
        try:
            verifier.verify(message, max_age=None)
            return
        except (HTTPMessageSignaturesException, ValueError, TypeError, KeyError) as exc:
            # cryptography's InvalidSignature says nothing; the library's own errors help.
            failure = f": {str(exc)[:200]}" if str(exc) else ""
    raise SignatureError(f"Signature does not match the request and key{failure}")


@dataclass(frozen=True)
class _Message:
    """The request shape http_message_signatures reads components from."""

    method: str
    url: str
    headers: Mapping[str, str]


class _OneKey(HTTPSignatureKeyResolver):
    """Hands the library the key the caller already fetched for the keyid."""

    def __init__(self, key: rsa.RSAPublicKey) -> None:
        self._key = key

    def resolve_public_key(self, key_id: str) -> rsa.RSAPublicKey:
        return self._key


class _Verifier(HTTPMessageVerifier):
    """The library's verifier without its wall-clock check: Porch checks the time window
    itself, against an injected clock and with Mastodon's hour of skew."""

    def validate_created_and_expires(
        self, sig_input: object, max_age: timedelta | None = None
    ) -> None:
        return None


Members = dict[str, tuple[object, Mapping[str, object]]]


def _parse_dictionary(value: str) -> Members:
    """A structured field dictionary, each member as (value, parameters); ValueError when
    `value` is not one."""
    parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    if not isinstance(parsed, dict):
        raise ValueError("not a dictionary")
    members: Members = {}
    for key, member in parsed.items():
        if not (isinstance(member, tuple) and len(member) == 2 and isinstance(member[1], dict)):
            raise ValueError(f"member {key} has no parameters")
        members[key] = (member[0], member[1])
    return members


def _dictionary(request: IncomingRequest, name: str) -> Members:
    value = request.headers.get(name)
    if value is None:
        raise SignatureError(f"{name.title()} header is missing")
    if len(value) > MAX_SIGNATURE_HEADER:
        raise SignatureError(f"{name.title()} header is too long")
    try:
        return _parse_dictionary(value)
    except (ValueError, TypeError):
        raise SignatureError(
            f"{name.title()} header is not a structured field dictionary"
        ) from None


def _component(name: object, params: Mapping[str, object]) -> str:
    # Keep parameters in the name so that, say, a content-digest;key="sha-512" (one member
    # signed) never passes for the whole content-digest.
    if not isinstance(name, str):
        raise SignatureError("Signature-Input components must be strings")
    return name + "".join(f";{key}={value}" for key, value in params.items())


def _check_coverage(request: IncomingRequest, covered: set[str]) -> None:
    by_parts = "@authority" in covered and (
        "@request-target" in covered
        or ("@path" in covered and ("@query" in covered or not request.query))
    )
    if "@method" not in covered or not ("@target-uri" in covered or by_parts):
        raise SignatureError("The @method and @target-uri components must be signed")
    if (request.method.upper() == "POST" or request.body) and "content-digest" not in covered:
        raise SignatureError("The Content-Digest header must be signed on requests with a body")


def _check_content_digest(request: IncomingRequest) -> None:
    value = request.headers.get("content-digest")
    if value is None:
        raise SignatureError("Content-Digest header is missing")
    try:
        offered = _parse_dictionary(value)
    except (ValueError, TypeError):
        raise SignatureError("Content-Digest is not a structured field dictionary") from None
    given = offered.get("sha-256", (None,))[0]
    if not isinstance(given, bytes):
        raise SignatureError(
            f"Content-Digest must include sha-256; offered: {', '.join(offered)[:200]}"
        )
    computed = hashlib.sha256(request.body).digest()
    if given != computed:
        encoded = base64.b64encode(computed).decode("ascii")
        raise SignatureError(
            f"Content-Digest does not match the body; computed sha-256=:{encoded}:"
        )
