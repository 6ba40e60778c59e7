"""The community's norms as its admins set them, and every change to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class NormValue(SQLModel, table=True):
    """A norm an admin set; norms without a row have their default."""

    __tablename__ = "norm_values"

    name: str = Field(max_length=64, primary_key=True)
    value: Any = Field(sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class NormChange(SQLModel, table=True):
    """One change to a norm: who, when, from what to what, and why."""

    __tablename__ = "norm_changes"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    old_value: Any = Field(default=None, sa_type=JSON)
    new_value: Any = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", max_length=500)
    #: The admin who made it; None for the command line.
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    changed_at: datetime = Field(default_factory=utcnow, index=True)
    #: The experiment this change started or ended (it applied to half of members).
    experiment_id: int | None = Field(default=None)


class NormExperiment(SQLModel, table=True):
    """A norm change tried on a random half of members for a set number of days.

    Members whose arm (server/services/experiment_arms.py, from `salt`) is "new" get
    `new_value` while it runs; the others keep `old_value`. When the days are over
    nobody gets the new value until an admin adopts it (a norm change for everyone) or
    drops it; `decision` says which.
    """

    __tablename__ = "norm_experiments"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    old_value: Any = Field(default=None, sa_type=JSON)
    new_value: Any = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", max_length=500)
    #: Decides each member's arm; random per experiment, so arms differ between them.
    salt: str = Field(max_length=64)
    #: The admin who started it; None for the command line.
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    started_at: datetime = Field(default_factory=utcnow)
    ends_at: datetime
    #: When an admin adopted or dropped it; None while undecided.
    decided_at: datetime | None = Field(default=None)
    #: "adopted", "dropped", or "" while undecided.
    decision: str = Field(default="", max_length=16)
    #: True while undecided, None once decided: unique, so only one experiment can be
    #: undecided even when two admins start one at the same moment.
    undecided: bool | None = Field(default=True, unique=True)
