"""The interval maths, against values published with the methods."""

from __future__ import annotations

import pytest

from server.services.intervals import (
    Interval,
    bootstrap_difference,
    newcombe,
    verdict,
    wilson,
    z_for,
)


def close(interval: Interval, low: float, high: float, places: int = 4) -> None:
    assert round(interval.low, places) == pytest.approx(low, abs=10**-places)
    assert round(interval.high, places) == pytest.approx(high, abs=10**-places)


def test_z_for_95_percent_is_the_familiar_1_96() -> None:
    assert z_for(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_wilson_matches_the_published_example_81_of_263() -> None:
    # The example in Wilson's interval's textbook treatments (and Newcombe 1998): 0.2553–0.3662.
    found = wilson(81, 263)
    assert found.estimate == pytest.approx(81 / 263)
    close(found, 0.2553, 0.3662)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3.
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_matches_newcombes_table(
    successes: int, trials: int, low: float, high: float
) -> None:
    close(wilson(successes, trials), low, high)


def test_wilson_with_no_trials_knows_nothing_and_refuses_nonsense() -> None:
    assert wilson(0, 0) == Interval(0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(5, 3)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        # Newcombe (1998, difference paper), Statistics in Medicine 17:873-890, table II,
        # method 10 (hybrid score).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
    ],
)
def test_newcombe_matches_the_papers_examples(
    a: int, m: int, b: int, n: int, low: float, high: float
) -> None:
    found = newcombe(a, m, b, n)
    assert found.estimate == pytest.approx(a / m - b / n)
    close(found, low, high)


def test_the_bootstrap_is_seeded_and_brackets_a_clear_difference() -> None:
    ana = [1.0, 2.0, 3.0, 4.0, 5.0] * 20
    ben = [0.0, 1.0, 2.0, 3.0, 4.0] * 20
    once = bootstrap_difference(ana, ben, seed=7)
    again = bootstrap_difference(ana, ben, seed=7)
    assert once == again
    assert once.estimate == pytest.approx(1.0)
    assert 0.0 < once.low < 1.0 < once.high < 2.0


def test_the_bootstrap_of_the_same_group_crosses_zero() -> None:
    same = [0.0, 0.0, 1.0, 3.0, 1.0, 2.0, 0.0, 5.0] * 5
    assert bootstrap_difference(same, list(reversed(same)), seed=1).crosses_zero()


def test_the_verdict_says_within_noise_when_the_interval_crosses_zero() -> None:
    assert verdict(newcombe(5, 56, 0, 29)).startswith("Within noise")
    said = verdict(newcombe(56, 70, 48, 80))
    assert said.startswith("20.0 points higher") and "5.2 and 33.4 points" in said
    assert verdict(newcombe(48, 80, 56, 70)).startswith("20.0 points lower")
