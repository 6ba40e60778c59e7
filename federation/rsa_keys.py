"""RSA keys for HTTP signatures: made, parsed, signing and checking (PKCS#1 v1.5, SHA-256).

cryptography loads with the first key used: an idle server never needs its 7 MB.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa


class UnusableKey(ValueError):
    """A public key that is no PEM, or no RSA key."""


def modules() -> tuple[ModuleType, ...]:
    """cryptography's modules, loaded with the first key used (7 MB idle servers never need)."""
    from cryptography import exceptions
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    return hashes, serialization, padding, rsa, exceptions


def load_private(private_pem: str) -> rsa.RSAPrivateKey:
    """One of Porch's own private keys, from its PKCS8 PEM."""
    _, serialization, _, rsa, _ = modules()
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("HTTP signatures need an RSA private key")
    return key


# Keyed by the PEM: a rotated key is new text, so nothing kept is ever stale.
@lru_cache(maxsize=1024)
def load_public(public_pem: str) -> rsa.RSAPublicKey:
    """A signer's public key from its PEM; UnusableKey if it is none or not RSA."""
    _, serialization, _, rsa, exceptions = modules()
    try:
        key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    except (ValueError, TypeError, exceptions.UnsupportedAlgorithm):
        raise UnusableKey("The signer's public key is not a usable PEM key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnusableKey("The signer's public key is not an RSA key")
    return key


def sign(key: rsa.RSAPrivateKey, data: bytes) -> str:
    """The base64 RSA-SHA256 signature of `data`."""
    hashes, _, padding, _, _ = modules()
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verifies(key: rsa.RSAPublicKey, data: bytes, signature: bytes) -> bool:
    """Whether `signature` is `key`'s RSA-SHA256 signature of `data`."""
    hashes, _, padding, _, exceptions = modules()
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except exceptions.InvalidSignature:
        return False
    return True
