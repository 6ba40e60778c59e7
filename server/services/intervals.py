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


def wilson(successes: float, trials: float, confidence: float = 0.95) -> Interval:
    """Wilson's score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).

    Unlike the textbook p ± z·√(p(1−p)/n) it stays inside 0–1 and behaves with few trials
    or shares near 0 or 1. No trials: the whole range 0–1, since nothing is known.
    Counts may be fractional: an effective sample size (`clustered_share`).
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
    return combined(
        wilson(successes_a, trials_a, confidence), wilson(successes_b, trials_b, confidence)
    )


def combined(a: Interval, b: Interval) -> Interval:
    """a − b from two independent estimates' intervals (Newcombe's square-and-add,
    also called MOVER: each side's distance to its limit, added in quadrature)."""
    difference = a.estimate - b.estimate
    below = math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    above = math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(difference, difference - below, difference + above)


def clustered_share(groups: Sequence[tuple[int, int]], confidence: float = 0.95) -> Interval:
    """The share Σ successes / Σ trials over groups of trials that are not independent
    (each member's replies: a member who is often answered is often answered again),
    with a Wilson interval on the effective sample size.

    The ratio's variance is the cluster-robust (linearised) one, m/(m−1)·Σ(yᵢ − p·nᵢ)²/N²
    over the m groups; the effective size is p(1−p) over it (Kish's design effect), never
    more than the trials themselves. With one group, or a share of 0 or 1, the spread
    between groups cannot be seen, so each group counts as one trial (Wilson on the number
    of groups): a handful of members who each wrote many replies tell no more than a
    handful of trials.
    """
    groups = [(y, n) for y, n in groups if n > 0]
    successes = sum(y for y, _ in groups)
    trials = sum(n for _, n in groups)
    if trials == 0:
        return wilson(0, 0, confidence)
    p = successes / trials
    if len(groups) < 2 or successes in (0, trials):
        found = wilson(p * len(groups), len(groups), confidence)
        return Interval(p, found.low, found.high)
    m = len(groups)
    variance = m / (m - 1) * sum((y - p * n) ** 2 for y, n in groups) / trials**2
    effective = trials if variance <= 0 else min(trials, p * (1 - p) / variance)
    found = wilson(p * effective, effective, confidence)
    return Interval(p, found.low, found.high)


def clustered_difference(
    groups_a: Sequence[tuple[int, int]],
    groups_b: Sequence[tuple[int, int]],
    confidence: float = 0.95,
) -> Interval:
    """p_a − p_b of two arms whose members were randomized (not their replies): Newcombe's
    square-and-add of each arm's `clustered_share`."""
    return combined(clustered_share(groups_a, confidence), clustered_share(groups_b, confidence))


def t_for(confidence: float, df: float) -> float:
    """Student's t quantile (two-sided), by the Cornish–Fisher expansion in 1/df
    (Abramowitz & Stegun 26.7.5: within 0.002 of the tables from 4 degrees of freedom,
    0.0001 from 10); the normal's for infinite df."""
    z = z_for(confidence)
    if df <= 0 or math.isinf(df):
        return z
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """A mean with Student's t interval (one value per member, members independent)."""
    if len(values) < 2:
        raise ValueError("need at least two values")
    mean = fmean(values)
    spread = t_for(confidence, len(values) - 1) * math.sqrt(
        sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values)
    )
    return Interval(mean, mean - spread, mean + spread)


def welch(
    values_a: Sequence[float], values_b: Sequence[float], confidence: float = 0.95
) -> Interval:
    """mean(a) − mean(b) with Welch's interval (unequal variances, Welch–Satterthwaite
    degrees of freedom): one value per member, members independent. Arithmetic only,
    so cheap enough for every page load, unlike a bootstrap."""
    if len(values_a) < 2 or len(values_b) < 2:
        raise ValueError("both groups need at least two values")
    mean_a, mean_b = fmean(values_a), fmean(values_b)
    va = sum((v - mean_a) ** 2 for v in values_a) / (len(values_a) - 1) / len(values_a)
    vb = sum((v - mean_b) ** 2 for v in values_b) / (len(values_b) - 1) / len(values_b)
    difference = mean_a - mean_b
    if va + vb == 0:
        return Interval(difference, difference, difference)
    df = (va + vb) ** 2 / (va**2 / (len(values_a) - 1) + vb**2 / (len(values_b) - 1))
    spread = t_for(confidence, df) * math.sqrt(va + vb)
    return Interval(difference, difference - spread, difference + spread)


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


def signed(value: float) -> str:
    """ "+2.5", "-0.4", and "+0.0" for a value that rounds to nothing (never "-0.0")."""
    return f"{round(value, 1) + 0.0:+.1f}"


def verdict(difference: Interval, *, unit: str = "points", scale: float = 100.0) -> str:
    """The difference in plain words: within noise when its interval crosses zero."""

    def amount(value: float) -> str:
        return f"{abs(value) * scale:.1f} {unit}"

    if difference.crosses_zero():
        return (
            f"Within noise: the difference ({signed(difference.estimate * scale)} {unit}) "
            f"could be chance; the interval runs from {signed(difference.low * scale)} "
            f"to {signed(difference.high * scale)}."
        )
    direction = "higher" if difference.estimate > 0 else "lower"
    near, far = sorted((abs(difference.low), abs(difference.high)))
    return (
        f"{amount(difference.estimate)} {direction}, likely between {near * scale:.1f} and "
        f"{far * scale:.1f} {unit}."
    )
