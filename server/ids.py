"""Ids minted here rather than by the database: posts' 64-bit ids and activity tokens.

Post ids follow Mastodon's layout: milliseconds since the epoch in the high bits and 16
random bits below, so ids are unique without coordination and sortable as numbers.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime


def id_for_time(moment: datetime) -> int:
    """A new id that sorts at `moment` (an aware datetime)."""
    millis = int(moment.timestamp() * 1000)
    return (millis << 16) | secrets.randbits(16)


def lowest_id_at(moment: datetime) -> int:
    """The smallest id that `id_for_time` can give for `moment`; for range queries."""
    return int(moment.timestamp() * 1000) << 16


#: Crockford's base32: no I, L, O or U, so a token reads back unambiguously.
_BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"
#: Length of an activity token: 10 characters of milliseconds, 16 of randomness.
ACTIVITY_ID_LENGTH = 26


def new_activity_id() -> str:
    """A token for an activity Porch sends, never handed out twice (a ULID in lower case).

    Time-ordered for reading and 80 random bits for uniqueness, so no database sequence,
    deleted row or restart can give it out again. Rows kept from before tokens carry
    their old row id, which is all digits and shorter, so the two never meet.
    """
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(ACTIVITY_ID_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(_BASE32[digit])
    return "".join(reversed(chars))
