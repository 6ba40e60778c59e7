"""Password hashing with Argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.services.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 1000

_hasher = PasswordHasher()


def check_strength(password: str) -> None:
    """Refuse passwords that are too short or absurdly long."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Choose a password of at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise Invalid("That password is too long.", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def verify_nobody(password: str) -> None:
    """Spend the time of a real check when the login names nobody, so the response time
    does not tell which usernames exist."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("porch-no-such-member")
