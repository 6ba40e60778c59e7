"""Time-ordered 64-bit ids for posts, so sorting by id sorts by publish time.

The layout follows Mastodon's: milliseconds since the epoch in the high bits and 16
random bits below, so ids are unique without coordination and sortable as numbers.
"""

from __future__ import annotations

import secrets
from datetime import datetime


def id_for_time(moment: datetime) -> int:
    """A new id that sorts at `moment` (an aware datetime)."""
    millis = int(moment.timestamp() * 1000)
    return (millis << 16) | secrets.randbits(16)


def lowest_id_at(moment: datetime) -> int:
    """The smallest id that `id_for_time` can give for `moment`; for range queries."""
    return int(moment.timestamp() * 1000) << 16
