"""Scheduled publishes: the durable record that a pending post must go out at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class ScheduledPublish(SQLModel, table=True):
    """One row per pending post. The row is the truth; a queued job is only the doorbell."""

    __tablename__ = "scheduled_publishes"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), unique=True, nullable=False
        )
    )
    run_at: datetime = Field(index=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
