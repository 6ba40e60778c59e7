"""The interval maths, against values published with the methods."""

from __future__ import annotations

import pytest

from server.services.intervals import (
    Interval,
    bootstrap_difference,
    clustered_difference,
    clustered_share,
    mean_interval,
    newcombe,
    signed,
    t_for,
    verdict,
    welch,
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


def test_a_clustered_share_widens_wilson_by_the_members_design_effect() -> None:
    # Four members: 3 of 4, 1 of 4, 2 of 2, 0 of 2 answered. p = 6/12 = 0.5; residuals
    # yᵢ − p·nᵢ are +1, −1, +1, −1, so the cluster-robust variance is
    # 4/3 · 4 / 12² = 0.037037 and the effective size 0.25 / 0.037037 = 6.75 (of 12).
    # Wilson on 3.375 of 6.75, by hand: centre 0.5 + 3.8415/13.5 = 0.78455, spread
    # 1.96·√(0.25/6.75 + 3.8415/182.25) = 0.47251, scale 1 + 3.8415/6.75 = 1.56911.
    found = clustered_share([(3, 4), (1, 4), (2, 2), (0, 2)])
    assert found.estimate == 0.5
    close(found, 0.1989, 0.8011)
    # Members all alike (each 1 of 2): no wider than the plain interval of 10 of 20.
    alike = clustered_share([(1, 2)] * 10)
    assert alike.low == pytest.approx(wilson(10, 20).low)


def test_a_clustered_difference_adds_each_arms_distances_in_quadrature() -> None:
    a, b = [(3, 4), (1, 4), (2, 2), (0, 2)], [(1, 2)] * 10
    found = clustered_difference(a, b)
    one, two = clustered_share(a), clustered_share(b)
    assert found.estimate == pytest.approx(0.0)
    assert found.low == pytest.approx(-(((0.5 - one.low) ** 2 + (two.high - 0.5) ** 2) ** 0.5))
    assert found.crosses_zero()


@pytest.mark.parametrize(
    ("df", "table"), [(4, 2.7764), (5, 2.5706), (10, 2.2281), (30, 2.0423), (1e9, 1.9600)]
)
def test_t_for_matches_students_table(df: float, table: float) -> None:
    assert t_for(0.95, df) == pytest.approx(table, abs=0.001)


def test_welch_matches_a_worked_example() -> None:
    # 1..5 against 2, 4 … 10: means 3 and 6, variances 2.5 and 10, standard error
    # √(0.5 + 2) = 1.5811, Welch–Satterthwaite df 6.25 / 1.0625 = 5.88, t = 2.4588
    # (numerical integration of Student's density): −3 ± 3.888.
    found = welch([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert found.estimate == pytest.approx(-3.0)
    close(found, -6.888, 0.888, places=2)
    mean = mean_interval([1, 2, 3, 4, 5])
    # 3 ± 2.7764 · √(2.5/5)
    close(mean, 3 - 2.7764 * 0.5**0.5, 3 + 2.7764 * 0.5**0.5, places=3)


def test_a_difference_that_rounds_to_nothing_is_never_negative_zero() -> None:
    assert signed(-0.04) == "+0.0" and signed(-0.06) == "-0.1" and signed(2.449) == "+2.4"
    said = verdict(Interval(-0.0004, -0.004, 0.004), unit="posts", scale=1.0)
    assert said.startswith("Within noise: the difference (+0.0 posts)"), said


def test_a_clustered_share_of_none_counts_each_member_once() -> None:
    # Twelve members, 40 replies each, none turned away: twelve members tell what twelve
    # trials do, not 480.
    found = clustered_share([(0, 40)] * 12)
    assert found.estimate == 0.0 and found.low == 0.0
    assert found.high == pytest.approx(wilson(0, 12).high)
    assert found.high > wilson(0, 480).high * 10
    everyone = clustered_share([(5, 5)] * 12)
    assert (everyone.estimate, everyone.high) == (1.0, 1.0)
    assert everyone.low == pytest.approx(wilson(12, 12).low)
