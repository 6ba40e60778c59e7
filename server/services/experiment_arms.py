"""Which arm of a norm experiment a member is in, and how arms are written on care events.

A member's arm comes from the experiment's random salt and their id alone, so it is the
same on every request and process, needs no row per member, and covers members who join
while the experiment runs. Across members it is a fair coin: about half get the new value.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

Arm = Literal["new", "old"]
ARMS: tuple[Arm, Arm] = ("new", "old")
#: Care events of cards and nudges: held back at random (a holdout) or shown.
HOLDOUT = "holdout"
SHOWN = "shown"


def arm_of(salt: str, actor_id: int) -> Arm:
    """The member's arm in the experiment whose salt is `salt`."""
    digest = hmac.new(salt.encode(), str(actor_id).encode(), hashlib.sha256).digest()
    return "new" if digest[0] & 1 else "old"


def label(experiment_id: int, arm: Arm) -> str:
    """The `arm` column of a care event in this experiment: "x12:new", "x12:old"."""
    return f"x{experiment_id}:{arm}"


def prefix(experiment_id: int) -> str:
    """What every arm label of this experiment starts with."""
    return f"x{experiment_id}:"
