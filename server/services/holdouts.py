"""Randomized holdouts: whether one moment of care is held back, by a fair draw.

A share of the moments where a card or a tone nudge would be shown (a norm each) is
deliberately not shown, and recorded with the arm "holdout"; the rest are shown with the
arm "shown" (server/services/experiment_arms.py). Comparing what followed in the two
arms tells whether the care helps: the draw is the only difference between them.
"""

from __future__ import annotations

import random
from datetime import datetime

from server.models import CareEvent, CareKind, Post
from server.services import care
from server.services.experiment_arms import HOLDOUT

#: The operating system's randomness: nobody can predict or steer which moments are
#: held back (a seeded generator is for tests only).
_FAIR = random.SystemRandom()


def held_out(percent: int, rng: random.Random | None = None) -> bool:
    """Whether this moment is held back: true `percent` times in 100, at random.

    0 never holds back and 100 always does, without drawing. `rng` is for tests (a
    seeded random.Random makes the draws repeatable); by default the draw is the
    system's own randomness."""
    if percent <= 0:
        return False
    if percent >= 100:
        return True
    return (rng or _FAIR).randrange(100) < percent


def nudge_held_out(post: Post, now: datetime) -> CareEvent:
    """The tone nudge held back before `post`: an event with the arm "holdout", tied to
    the post it answers and to `post` itself, for the caller's transaction."""
    return care.moment(
        CareKind.tone_nudge,
        now,
        actor_id=post.actor_id,
        post_id=post.in_reply_to_id,
        reply_id=post.id,
        arm=HOLDOUT,
    )
