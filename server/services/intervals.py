"""Intervals for the dashboard's figures: how sure a share or a difference is.

Pure arithmetic, no database. A 95 % interval is the range of true values that the
counts seen are consistent with; a difference whose interval crosses zero cannot be told
from chance at that level, and the verdict says so in plain words.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval (low ≤ estimate ≤ high)."""

    estimate: float
    low: float
    high: float

    def crosses_zero(self) -> bool:
        return self.low <= 0.0 <= self.high


def z_for(confidence: float) -> float:
    """The two-sided normal quantile: 1.959964… for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson(successes: int, trials: int, confidence: float = 0.95) -> Interval:
    """Wilson's score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).

    Unlike the textbook p ± z·√(p(1−p)/n) it stays inside 0–1 and behaves with few trials
    or shares near 0 or 1. No trials: the whole range 0–1, since nothing is known.
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError("need 0 ≤ successes ≤ trials")
    if trials == 0:
        return Interval(0.0, 0.0, 1.0)
    z = z_for(confidence)
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    low = 0.0 if successes == 0 else (centre - spread) / scale
    high = 1.0 if successes == trials else (centre + spread) / scale
    return Interval(p, low, high)


def newcombe(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, confidence: float = 0.95
) -> Interval:
    """The difference of two independent proportions, p_a − p_b, with Newcombe's hybrid
    score interval (Newcombe 1998, method 10): each share's Wilson interval combined."""
    a = wilson(successes_a, trials_a, confidence)
    b = wilson(successes_b, trials_b, confidence)
    difference = a.estimate - b.estimate
    below = math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    above = math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(difference, difference - below, difference + above)


def bootstrap_difference(
    values_a: Sequence[float],
    values_b: Sequence[float],
    *,
    statistic: Callable[[Sequence[float]], float] = fmean,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """statistic(a) − statistic(b) (means by default; a rate is a mean of per-member
    counts) with a seeded percentile bootstrap: each group is resampled with
    replacement, and the interval is the middle `confidence` of the differences. The
    seed makes the same data give the same interval on every page load."""
    if not values_a or not values_b:
        raise ValueError("both groups need at least one value")
    rng = random.Random(seed)
    differences = sorted(
        statistic(rng.choices(values_a, k=len(values_a)))
        - statistic(rng.choices(values_b, k=len(values_b)))
        for _ in range(resamples)
    )
    tail = (1.0 - confidence) / 2.0
    low = differences[int(math.floor(tail * (resamples - 1)))]
    high = differences[int(math.ceil((1.0 - tail) * (resamples - 1)))]
    return Interval(statistic(values_a) - statistic(values_b), low, high)


def verdict(difference: Interval, *, unit: str = "points", scale: float = 100.0) -> str:
    """The difference in plain words: within noise when its interval crosses zero."""

    def amount(value: float) -> str:
        return f"{abs(value) * scale:.1f} {unit}"

    if difference.crosses_zero():
        return (
            f"Within noise: the difference ({difference.estimate * scale:+.1f} {unit}) "
            f"could be chance; the interval runs from {difference.low * scale:+.1f} "
            f"to {difference.high * scale:+.1f}."
        )
    direction = "higher" if difference.estimate > 0 else "lower"
    near, far = sorted((abs(difference.low), abs(difference.high)))
    return (
        f"{amount(difference.estimate)} {direction}, likely between {near * scale:.1f} and "
        f"{far * scale:.1f} {unit}."
    )
