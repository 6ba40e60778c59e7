"""Values every entity writes the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.urls import Urls


def timestamp(moment: datetime | None) -> str | None:
    """`2026-11-26T07:46:00.000Z`, as Mastodon writes times."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(moment: datetime | None) -> str | None:
    """`2026-11-26`: Mastodon gives only the day for last_status_at."""
    if moment is None:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d")


def midnight(moment: datetime) -> str:
    """Mastodon rounds accounts' created_at down to the day, for privacy."""
    return f"{day(moment)}T00:00:00.000Z"


@dataclass(frozen=True)
class Site:
    """Where this instance's URLs point: pages, ActivityPub ids, media and static files."""

    urls: Urls

    @property
    def base(self) -> str:
        return self.urls.base

    def media(self, name: str) -> str:
        return f"{self.base}/media/{name}"

    def static(self, name: str) -> str:
        return f"{self.base}/static/{name}"
