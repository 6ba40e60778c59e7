"""Ids minted here rather than by the database: posts' 64-bit ids and activity tokens.

Post ids follow Mastodon's layout: milliseconds since the epoch in the high bits and 16
random bits below, so ids are unique without coordination and sortable as numbers.

Reading ids back is here too: every door (web pages, the client API, ActivityPub) reads
the ids in addresses, query strings and forms with `parse_id`, and with nothing else.
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


#: The largest id Porch has: ids are signed 64-bit integers (post ids use the range).
MAX_ID = 2**63 - 1
#: Rows other than posts are numbered by 32-bit serials on PostgreSQL, which refuses a
#: larger number outright (an error, not "no row"): lookups of them parse with this bound.
MAX_SERIAL_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(raw: str | None, *, most: int = MAX_ID) -> int | None:
    """`raw` as an id Porch could have made, or None when it names nothing.

    Only ASCII digits count (str.isdigit() also takes "²" and "١٢", which int() refuses
    or reads as another number): no sign, no spaces, at most 19 digits, so a megabyte of
    digits is never converted, and no larger than `most` (MAX_ID, or MAX_SERIAL_ID for
    rows numbered by 32-bit serials). Leading zeros read as the number they spell.
    """
    if not raw or len(raw) > _MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if value <= most else None
