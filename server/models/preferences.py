"""A member's own preferences for writing and reading (the rest live on Member)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Preferences(SQLModel, table=True):
    """What a member chose in Settings > Preferences; no row means Porch's defaults."""

    __tablename__ = "member_preferences"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    #: The visibility the composer starts with ("public", "unlisted", "private", "direct").
    default_visibility: str = Field(default="public", max_length=16)
    #: The language their posts are written in (BCP 47, e.g. "en"); "" when not said.
    language: str = Field(default="", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)
