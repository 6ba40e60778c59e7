"""Where a member stopped reading a timeline, so every app resumes at the same place."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class Marker(SQLModel, table=True):
    __tablename__ = "markers"

    actor_id: int = Field(foreign_key="actors.id", primary_key=True)
    #: "home" or "notifications".
    timeline: str = Field(max_length=16, primary_key=True)
    last_read_id: str = Field(max_length=32)
    #: Bumped on every save; apps use it to spot concurrent updates.
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow)
