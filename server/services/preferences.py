"""A member's preferences: the visibility the composer starts with, the language they
write in, whether like counts are always shown, and the timeline home opens on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Member, Visibility
from server.models.preferences import Preferences
from server.services import accounts
from server.services.errors import Invalid, one_or_several

#: The visibilities a new post may start with (a direct message is chosen each time).
DEFAULT_VISIBILITIES = (Visibility.public, Visibility.unlisted, Visibility.followers)

#: Languages offered, by their ISO 639-1 code: the languages of the tone list and the
#: most common on the fediverse. "" means "not said".
LANGUAGES = {
    "": "Not said",
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "ja": "日本語",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "sv": "Svenska",
}


@dataclass(frozen=True)
class Chosen:
    """Everything Settings > Preferences shows, from wherever it is kept."""

    default_visibility: Visibility
    language: str
    show_counts: bool
    home_order: str


async def of(session: AsyncSession, actor_id: int) -> Preferences:
    """The member's preferences row, or Porch's defaults when they chose nothing."""
    found = await session.get(Preferences, actor_id)
    return found if found is not None else Preferences(actor_id=actor_id)


async def chosen(session: AsyncSession, member: Member) -> Chosen:
    """The preferences of `member`, all of them."""
    found = await of(session, member.actor_id)
    return Chosen(
        default_visibility=Visibility(found.default_visibility),
        language=found.language,
        show_counts=member.show_counts,
        home_order=member.home_order or "conversations",
    )


async def default_visibility(session: AsyncSession, actor_id: int) -> Visibility:
    """The visibility a new post of theirs starts with in the composer."""
    return Visibility((await of(session, actor_id)).default_visibility)


async def save(
    session: AsyncSession,
    member: Member,
    *,
    default_visibility: str,
    language: str,
    show_counts: bool,
    home_order: str,
    now: datetime,
) -> None:
    """Keep the member's preferences; every wrong value is refused together, nothing
    is stored then. Commits."""
    errors = []
    if default_visibility not in {v.value for v in DEFAULT_VISIBILITIES}:
        errors.append(
            Invalid("Choose public, unlisted or followers only.", field="default_visibility")
        )
    if language not in LANGUAGES:
        errors.append(Invalid("Choose one of the languages listed.", field="language"))
    if home_order not in accounts.HOME_ORDERS:
        errors.append(Invalid("Choose Conversations or Latest.", field="home_order"))
    if errors:
        raise one_or_several(list(errors))
    row = await session.get(Preferences, member.actor_id)
    if row is None:
        row = Preferences(actor_id=member.actor_id)
    row.default_visibility = default_visibility
    row.language = language
    row.updated_at = now
    session.add(row)
    member.show_counts = show_counts
    member.home_order = home_order
    session.add(member)
    await session.commit()
